"""Named people for staff tests: coordinator, surgeon, other surgeon, administrator, outsider."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from consultations.access import StaffRole, grant_role

PASSWORD = "correct-horse-battery-staple"


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Production's algorithm with few iterations: the hash records its iteration
    count, so a server with the default hashers still verifies it."""

    iterations = 1000


def make_user(username: str, role: StaffRole | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=extra.pop("email", f"{username}@clinic.example"),
        first_name=username.capitalize(),
        last_name="Staff",
        **extra,
    )
    if role:
        grant_role(user, role)
    return user


def coordinator(name="coordinator"):
    return make_user(name, StaffRole.COORDINATOR)


def surgeon(name="surgeon"):
    return make_user(name, StaffRole.SURGEON)


def administrator(name="administrator"):
    return make_user(name, StaffRole.ADMINISTRATOR)


def signed_in(client, user):
    """The client signed in as ``user``, as far as sign-in goes for staff.

    Every test that needs a signed-in staff member comes through here, so
    that what signing in takes (a password, a second factor) is in one place.
    """
    client.force_login(user)
    return client
