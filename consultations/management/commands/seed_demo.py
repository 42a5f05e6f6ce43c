from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from consultations.roles import COORDINATORS, SURGEONS

DEMO_ACCOUNTS = [
    # username, password, group, display name
    ("coordinator", "demo-coordinator-pass", COORDINATORS, "Casey Coordinator"),
    ("surgeon", "demo-surgeon-pass", SURGEONS, "Dr Sam Surgeon"),
    ("surgeon2", "demo-surgeon2-pass", SURGEONS, "Dr Alex Second"),
]


class Command(BaseCommand):
    help = "Create local demo staff accounts (refuses to run unless DEBUG is on)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for local use only: set DJANGO_DEBUG=true.")
        User = get_user_model()
        lines = []
        for username, password, group_name, display in DEMO_ACCOUNTS:
            first, _, last = display.partition(" ")
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": True},
            )
            user.set_password(password)
            user.email = f"{username}@clinic.example"
            user.is_active = True
            user.save()
            user.groups.add(Group.objects.get(name=group_name))
            lines.append(f"  {group_name[:-1]:<12} username: {username:<12} password: {password}")
        self.stdout.write("Demo staff accounts (local demo only, never use in production):")
        self.stdout.write("\n".join(lines))
