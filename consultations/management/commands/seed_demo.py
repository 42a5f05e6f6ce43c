from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from consultations.access import StaffRole, grant_role

DEMO_ACCOUNTS = [
    # username, password, role, display name
    ("coordinator", "demo-coordinator-pass", StaffRole.COORDINATOR, "Casey Coordinator"),
    ("surgeon", "demo-surgeon-pass", StaffRole.SURGEON, "Dr Sam Surgeon"),
    ("surgeon2", "demo-surgeon2-pass", StaffRole.SURGEON, "Dr Alex Second"),
    ("admin", "demo-admin-pass", StaffRole.ADMINISTRATOR, "Ada Administrator"),
]

# Fixed authenticator secrets, so a phone set up once keeps working across
# runs. Public on purpose: these accounts exist only with DJANGO_DEBUG=true.
DEMO_TOTP_SECRETS = {
    "coordinator": "DEMOCOORDINATORDEMOCOORDINATOR22",
    "surgeon": "DEMOSURGEONDEMOSURGEONDEMOSURGE2",
    "surgeon2": "DEMOSURGEONTWODEMOSURGEONTWODEM2",
    "admin": "DEMOADMINDEMOADMINDEMOADMINDEMO2",
}


class Command(BaseCommand):
    help = "Create local demo staff accounts (refuses to run unless DEBUG is on)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for local use only: set DJANGO_DEBUG=true.")
        User = get_user_model()
        lines = []
        for username, password, role, display in DEMO_ACCOUNTS:
            first, _, last = display.partition(" ")
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": True},
            )
            user.set_password(password)
            user.email = f"{username}@clinic.example"
            user.is_active = True
            user.save()
            grant_role(user, role)
            recovery = self.enrol(user, DEMO_TOTP_SECRETS[username])
            lines.append(
                f"  {role:<14} username: {username:<12} password: {password:<22}"
                f" authenticator key: {DEMO_TOTP_SECRETS[username]}  recovery code: {recovery}"
            )
        self.stdout.write("Demo staff accounts (local demo only, never use in production):")
        self.stdout.write("\n".join(lines))
        self.stdout.write(
            "  Second factor: add the key to an authenticator app, or run\n"
            "    DJANGO_DEBUG=true .venv/bin/python manage.py demo_code coordinator\n"
            "  for the current six-digit code (each code works once; a recovery code too)."
        )

    @staticmethod
    def enrol(user, secret: str) -> str:
        """The account's authenticator app is the demo secret; returns an unused recovery code."""
        Authenticator.objects.filter(user=user).delete()
        TOTP.activate(user, secret)
        return RecoveryCodes.activate(user).get_unused_codes()[0]
