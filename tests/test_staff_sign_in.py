"""Staff sign-in: password, then a second factor; enrolment on first sign-in;
sessions with an absolute lifetime; security events with ids only."""

import re

import pyotp
import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from staff_auth.models import SecurityEvent
from tests.staff import PASSWORD, coordinator, fresh_code, signed_in, totp_secret

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
LOGIN = reverse("account_login")


def password_step(client, username="coordinator", password=PASSWORD, **extra):
    return client.post(LOGIN, {"login": username, "password": password}, **extra)


def kinds(user=None):
    rows = SecurityEvent.objects.order_by("id")
    if user is not None:
        rows = rows.filter(user_id=user.pk)
    return [row.kind for row in rows]


@pytest.mark.django_db(transaction=True)
def test_a_password_alone_leads_only_to_enrolment(client):
    user = coordinator()
    response = password_step(client)
    assert response.status_code == 302
    # Signed in with a password, yet every staff page leads to enrolment...
    for url in [reverse("staff:home"), reverse("staff:queue"), "/admin/"]:
        assert client.get(url)["Location"] == reverse("mfa_index"), url
    assert client.get(reverse("mfa_index")).status_code == 200
    # ...until an authenticator app is set up with a code it computes.
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    # Transactional: allauth announces a new factor after its commit.
    done = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("staff:queue")).status_code == 200
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert kinds(user) == [Kind.SIGN_IN, Kind.MFA_ENROLLED, Kind.MFA_ENROLLED]


def test_an_enrolled_account_needs_its_code_and_a_wrong_one_is_refused(client):
    user = coordinator()
    totp_secret(user)
    response = password_step(client)
    assert response["Location"] == reverse("mfa_authenticate")
    # Between the steps nobody is signed in: staff pages send to sign-in.
    assert client.get(reverse("staff:queue"))["Location"].startswith(LOGIN)
    password_step(client)
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    right = client.post(reverse("mfa_authenticate"), {"code": fresh_code(user)})
    assert right.status_code == 302
    assert client.get(reverse("staff:queue")).status_code == 200
    assert Kind.MFA_FAILED in kinds(user)
    assert kinds(user)[-1] == Kind.SIGN_IN


def test_a_recovery_code_works_once(client):
    user = coordinator()
    totp_secret(user)
    code = RecoveryCodes.activate(user).get_unused_codes()[0]
    password_step(client)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(reverse("staff:queue")).status_code == 200
    assert Kind.RECOVERY_CODE_USED in kinds(user)
    client.post(reverse("account_logout"))
    password_step(client)
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_session_that_skipped_the_second_factor_is_ended(client):
    user = coordinator()
    totp_secret(user)
    client.force_login(user)  # as a sign-in path that forgot the second factor would
    response = client.get(reverse("staff:queue"))
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_the_session_key_changes_after_each_step(client):
    user = coordinator()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    password_step(client)
    after_password = client.session.session_key
    client.post(reverse("mfa_authenticate"), {"code": fresh_code(user)})
    after_code = client.session.session_key
    assert len({before, after_password, after_code}) == 3


def test_sessions_end_after_the_absolute_lifetime_even_when_busy(client, settings):
    settings.PORTAL_SESSION_MAX_SECONDS = 3600
    user = coordinator()
    with time_machine.travel("2026-12-01 08:00", tick=False) as clock:
        signed_in(client, user)
        for _ in range(3):  # a request every 15 minutes keeps the idle timer fresh
            clock.shift(15 * 60)
            assert client.get(reverse("staff:queue")).status_code == 200
        clock.shift(15 * 60 + 1)
        assert client.get(reverse("staff:queue"))["Location"].startswith(LOGIN)
    assert Kind.SESSION_EXPIRED in kinds(user)


def test_the_admin_signs_in_through_the_staff_sign_in(client, django_user_model):
    response = client.get("/admin/")
    target = client.get(response["Location"])
    assert target.status_code == 302
    assert target["Location"].startswith(LOGIN)
    coordinator_user = coordinator()
    signed_in(client, coordinator_user)
    # The admin's sign-in sends on to the staff one, which sends a signed-in
    # coordinator back to the admin: refused there.
    refused = client.get(reverse("admin:login"), follow=True)
    assert refused.status_code == 403
    assert refused.redirect_chain[-1][0].startswith("/admin/")
    admin = django_user_model.objects.create_superuser("admin", password=PASSWORD)
    signed_in(client, admin)
    assert client.get("/admin/").status_code == 200


def test_signing_out_and_failures_are_recorded_with_ids_only(client):
    user = coordinator()
    password_step(client, password="wrong-password-typed")
    password_step(client, username="someone-typed-this", password="hunter2hunter2")
    signed_in(client, user)
    client.post(reverse("account_logout"), HTTP_USER_AGENT="TestBrowser/1.0")
    events = list(SecurityEvent.objects.order_by("id"))
    assert [e.kind for e in events] == [
        Kind.SIGN_IN_FAILED,
        Kind.SIGN_IN_FAILED,
        Kind.SIGN_IN,
        Kind.SIGN_OUT,
    ]
    assert events[0].user_id == user.pk and events[0].username == "coordinator"
    assert events[1].user_id is None and events[1].username == ""
    assert events[-1].user_agent == "TestBrowser/1.0"
    assert events[-1].client_address == "127.0.0.1"
    stored = " ".join(f"{e.username} {e.detail} {e.user_agent}" for e in events)
    for secret in ["wrong-password-typed", "someone-typed-this", "hunter2", PASSWORD]:
        assert secret not in stored


def test_a_forgotten_password_is_reset_by_email_and_the_second_factor_still_asked(
    client, mailoutbox
):
    user = coordinator()
    totp_secret(user)
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    link = re.search(r"http://\S+", body).group(0)
    assert "Staff" not in body and user.last_name not in body  # no names, just the link
    form = client.get(link, follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    new = "a-fresh-long-passphrase-41"
    done = client.post(action, {"password1": new, "password2": new})
    assert done.status_code == 302
    assert "_auth_user_id" not in client.session
    response = password_step(client, password=new)
    assert response["Location"] == reverse("mfa_authenticate")
    assert Kind.PASSWORD_RESET_REQUESTED in kinds(user)
    assert Kind.PASSWORD_RESET in kinds(user)


def test_the_signup_page_is_closed(client):
    response = client.post(
        reverse("account_signup"), {"username": "intruder", "password1": "x" * 20}
    )
    assert response.status_code == 200
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="intruder").exists()
