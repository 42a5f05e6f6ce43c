"""The clinic's staff roles, as Django groups with the permissions each needs."""

from django.apps import apps as global_apps

COORDINATORS = "coordinators"
SURGEONS = "surgeons"

ROLE_PERMISSIONS = {
    COORDINATORS: [
        ("consultations", "view_consultationrequest"),
        ("consultations", "change_consultationrequest"),
        ("consultations", "add_internalnote"),
        ("consultations", "view_internalnote"),
        ("uploads", "view_photo"),
    ],
    SURGEONS: [
        ("consultations", "view_consultationrequest"),
        ("consultations", "add_surgeonreview"),
        ("uploads", "view_photo"),
    ],
}


def ensure_role_groups(apps=global_apps) -> None:
    """Create the role groups and grant their permissions; safe to run again.

    Called by a data migration (with the historical ``apps``) and after every
    ``migrate``/``flush``, so the roles exist even if someone deleted them.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
