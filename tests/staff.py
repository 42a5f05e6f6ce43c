"""Named people for staff tests: coordinator, surgeon, other surgeon, outsider."""

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group
from django.urls import reverse

from consultations.roles import COORDINATORS, SURGEONS

PASSWORD = "correct-horse-battery-staple"


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Production's algorithm with few iterations: the hash records its iteration
    count, so a server with the default hashers still verifies it."""

    iterations = 1000


def make_user(username: str, group: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=extra.pop("email", f"{username}@clinic.example"),
        first_name=username.capitalize(),
        last_name="Staff",
        **extra,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def coordinator(name="coordinator"):
    return make_user(name, COORDINATORS)


def surgeon(name="surgeon"):
    return make_user(name, SURGEONS)


def totp_secret(user) -> str:
    """The user's authenticator-app secret, enrolling one first if they have none."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    return decrypt(authenticator.data["secret"])


def current_code(user) -> str:
    return pyotp.TOTP(totp_secret(user)).now()


def signed_in(client, user):
    """The client signed in as ``user``: password, then an authenticator code.

    Every test that needs a signed-in staff member comes through here, so
    that what signing in takes is in one place. It goes through the real
    pages, so the session is exactly what a person's would be (both steps
    recorded by allauth, key rotated twice, signed-in time set).
    """
    if "_auth_user_id" in client.session:
        client.post(reverse("account_logout"))
    code = current_code(user)
    password = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert password.status_code == 302, "the password step was refused"
    assert password["Location"] == reverse("mfa_authenticate"), password["Location"]
    second = client.post(reverse("mfa_authenticate"), {"code": code})
    assert second.status_code == 302, "the authenticator code was refused"
    return client
