"""One append-only access log (AccessRecord) replaces CaseAccess and PhotoAccess.

Existing rows are copied over; the role groups lose their model permissions,
which nothing reads any more (the rule lives in consultations/access.py).
"""

import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


def copy_access_rows(apps, schema_editor):
    AccessRecord = apps.get_model("consultations", "AccessRecord")
    CaseAccess = apps.get_model("consultations", "CaseAccess")
    PhotoAccess = apps.get_model("uploads", "PhotoAccess")
    Photo = apps.get_model("uploads", "Photo")
    rows = [
        AccessRecord(
            created_at=access.created_at,
            user_id=access.user_id,
            outcome="shown",
            view="staff:case_detail",
            status_code=200,
            case_id=access.request_id,
            reference=access.request.reference,
            ip_address=access.ip_address,
        )
        for access in CaseAccess.objects.select_related("request").iterator()
    ]
    cases = dict(Photo.objects.values_list("pk", "request_id"))
    references = dict(
        apps.get_model("consultations", "ConsultationRequest").objects.values_list("pk", "reference")
    )
    for access in PhotoAccess.objects.iterator():
        case_id = cases.get(access.photo_id)
        rows.append(
            AccessRecord(
                created_at=access.accessed_at,
                user_id=access.user_id,
                outcome="shown",
                view="uploads:photo_rendition",
                status_code=200,
                case_id=case_id,
                reference=references.get(case_id, ""),
                photo_id=access.photo_id,
                rendition=access.rendition,
                ip_address=access.ip_address,
            )
        )
    AccessRecord.objects.bulk_create(rows, batch_size=1000)


def strip_role_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=["coordinators", "surgeons"]):
        group.permissions.clear()


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0004_role_permissions'),
        ('uploads', '0002_photo_processing_and_access'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('outcome', models.CharField(choices=[('shown', 'Shown'), ('denied', 'Denied')], max_length=10)),
                ('view', models.CharField(max_length=80)),
                ('status_code', models.PositiveSmallIntegerField()),
                ('case_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                ('reference', models.CharField(blank=True, max_length=12)),
                ('photo_id', models.UUIDField(blank=True, null=True)),
                ('rendition', models.CharField(blank=True, max_length=10)),
                ('listed', models.TextField(blank=True)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('user_agent', models.CharField(blank=True, max_length=300)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='access_records', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.RunPython(copy_access_rows, migrations.RunPython.noop),
        migrations.RunPython(strip_role_permissions, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='CaseAccess',
        ),
        migrations.AddIndex(
            model_name='accessrecord',
            index=models.Index(fields=['case_id', 'created_at'], name='access_case_created'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='accessrecord',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='93de5cd302a8eddf85d1b2d29c7d5a83b9efcd25', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_8d367', table='consultations_accessrecord', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='accessrecord',
            trigger=pgtrigger.compiler.Trigger(name='refuse_truncate', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: the access log is append-only'; RETURN NULL;", hash='f657f04e2bfa7d9b8b408c2709eb915c22a90ddf', level='STATEMENT', operation='TRUNCATE', pgid='pgtrigger_refuse_truncate_64fa6', table='consultations_accessrecord', when='BEFORE')),
        ),
    ]
