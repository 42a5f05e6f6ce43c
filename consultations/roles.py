"""The clinic's staff roles, as Django groups with the permissions each needs."""

from django.contrib.auth.models import Group, Permission

COORDINATORS = "coordinators"
SURGEONS = "surgeons"

ROLE_PERMISSIONS = {
    COORDINATORS: [
        ("consultations", "view_consultationrequest"),
        ("consultations", "change_consultationrequest"),
        ("consultations", "add_internalnote"),
        ("consultations", "view_internalnote"),
        ("uploads", "view_photo"),
        # To see and retry undelivered notifications in the admin.
        ("notifications", "view_notification"),
    ],
    SURGEONS: [
        ("consultations", "view_consultationrequest"),
        ("consultations", "add_surgeonreview"),
        ("uploads", "view_photo"),
    ],
}


def ensure_role_groups() -> None:
    """Create the role groups and grant their permissions; safe to run again.

    Runs after every ``migrate`` (and a test ``flush``), so the roles exist and
    carry today's permissions even if someone edited or deleted them.
    """
    for group_name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
