from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen as of this migration; consultations.roles keeps the current list and
# re-applies it after every migrate.
ROLE_PERMISSIONS = {
    "coordinators": [
        ("consultations", "view_consultationrequest"),
        ("consultations", "change_consultationrequest"),
        ("consultations", "add_internalnote"),
        ("consultations", "view_internalnote"),
        ("uploads", "view_photo"),
    ],
    "surgeons": [
        ("consultations", "view_consultationrequest"),
        ("consultations", "add_surgeonreview"),
        ("uploads", "view_photo"),
    ],
}


def grant(apps, schema_editor):
    # Permissions are normally created after migrations; make sure they exist.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0003_workflow"),
        ("uploads", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
