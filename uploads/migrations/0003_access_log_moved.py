"""PhotoAccess rows now live in consultations.AccessRecord (copied by its 0005)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('uploads', '0002_photo_processing_and_access'),
        ('consultations', '0005_access_log'),
    ]

    operations = [
        migrations.DeleteModel(
            name='PhotoAccess',
        ),
    ]
