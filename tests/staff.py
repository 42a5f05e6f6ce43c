"""Named people for staff tests: coordinator, surgeon, other surgeon, administrator, outsider."""

import time

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

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


def totp_secret(user) -> str:
    """The user's authenticator-app secret, enrolling one first if they have none."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    return decrypt(authenticator.data["secret"])


_used_codes: set[tuple[str, str]] = set()


def fresh_code(user) -> str:
    """An authenticator code for ``user`` that this test run has not used yet.

    The portal refuses a code used before (replay), and accepts the codes of
    one period either side (MFA_TOTP_TOLERANCE). The previous period's code
    is offered only early in a period: near its end, the server may already
    be one period on, where that code is two periods old and refused.
    """
    secret = totp_secret(user)
    totp = pyotp.TOTP(secret)
    while True:
        now = time.time()
        counter = int(now) // totp.interval
        candidates = [counter, counter + 1]
        if totp.interval - now % totp.interval > 10:
            candidates.append(counter - 1)
        for candidate in candidates:
            code = totp.generate_otp(candidate)
            if (secret, code) not in _used_codes:
                _used_codes.add((secret, code))
                return code
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)


def signed_in(client, user):
    """The client signed in as ``user``: password, then an authenticator code.

    Every test that needs a signed-in staff member comes through here, so
    that what signing in takes is in one place. It goes through the real
    pages, so the session is exactly what a person's would be (both steps
    recorded by allauth, key rotated twice, signed-in time set).
    """
    if "_auth_user_id" in client.session:
        client.post(reverse("account_logout"))
    code = fresh_code(user)
    password = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert password.status_code == 302, "the password step was refused"
    assert password["Location"] == reverse("mfa_authenticate"), password["Location"]
    second = client.post(reverse("mfa_authenticate"), {"code": code})
    assert second.status_code == 302, "the authenticator code was refused"
    return client


def case_page_queries(client, cases) -> list[int]:
    """Queries each case page takes on its first view by the signed-in client
    (opening a case again reads a little differently), after a warm-up view."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ConsultationRequestFactory

    def view(case) -> None:
        response = client.get(reverse("staff:case_detail", args=[case.reference]))
        assert response.status_code == 200

    view(ConsultationRequestFactory())
    counted = []
    for case in cases:
        with CaptureQueriesContext(connection) as queries:
            view(case)
        counted.append(len(queries))
    return counted
