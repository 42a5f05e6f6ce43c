"""The client's address behind proxies, the two-sided lockout, password rules,
and the append-only security-event table."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from common.network import client_address
from staff_auth.events import Kind, security_event_record
from staff_auth.models import SecurityEvent
from tests.staff import PASSWORD, coordinator, make_user

LOGIN = reverse("account_login")


# --- The client's address ----------------------------------------------------


def test_a_forged_forwarded_for_from_a_direct_client_is_ignored(settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "198.51.100.9"


def test_behind_one_proxy_the_address_it_appended_is_used(settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    forged_then_real = "1.2.3.4, 203.0.113.7"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forged_then_real
    )
    assert client_address(request) == "203.0.113.7"
    # A request that reached the portal around the proxy has no header to trust.
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.3")) == "10.0.0.3"
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    assert client_address(garbage) == "10.0.0.2"


# --- Lockout: per account across addresses, per address across accounts -------


WRONG = "not-the-password"


def attempt(client, username, address, password=WRONG):
    return client.post(
        LOGIN, {"login": username, "password": password}, HTTP_X_FORWARDED_FOR=address
    )


@pytest.mark.django_db
def test_guesses_spread_over_addresses_are_stopped_per_account(client, settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    coordinator()
    statuses = [
        attempt(client, "coordinator", f"203.0.113.{n % 4 + 1}").status_code for n in range(16)
    ]
    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    # Even the right password waits, and the page says why.
    right = attempt(client, "coordinator", "203.0.113.99", password=PASSWORD)
    assert right.status_code == 429
    assert "Sign-in paused" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, detail="account").count() == 1


@pytest.mark.django_db
def test_the_account_pause_is_short(client, settings, time_machine):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    coordinator()
    time_machine.move_to("2026-12-01 09:00", tick=False)
    for n in range(10):
        attempt(client, "coordinator", f"203.0.113.{n + 1}")
    assert attempt(client, "coordinator", "198.51.100.1", PASSWORD).status_code == 429
    time_machine.move_to("2026-12-01 09:16", tick=False)
    response = attempt(client, "coordinator", "198.51.100.1", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session  # no factor yet: on to enrolment


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_stopped(client, settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    for n in range(25):
        make_user(f"staff{n}")
    statuses = [attempt(client, f"staff{n}", "203.0.113.50").status_code for n in range(21)]
    assert statuses[:19] == [200] * 19
    assert statuses[-1] == 429
    # That address is shut out even with a right password; another address is not.
    assert attempt(client, "staff22", "203.0.113.50", PASSWORD).status_code == 429
    assert attempt(client, "staff22", "203.0.113.51", PASSWORD).status_code == 302
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, detail="address").exists()


@pytest.mark.django_db
def test_a_forged_header_does_not_dodge_the_address_lock(client, settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    for n in range(21):
        make_user(f"staff{n}")
    for n in range(20):
        attempt(client, f"staff{n}", f"192.0.2.{n}")  # a new forged address each time
    assert attempt(client, "staff20", "192.0.2.200", PASSWORD).status_code == 429


# --- Passwords -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    [
        "HarbourPlastic2026",
        "harbour surgery 2026",
        "PlasticSurgery!2026",
        "aaaaaaaaaaaa",
        "password1234",
        "coordinator2026!",
    ],
)
def test_weak_passwords_are_refused(password, settings):
    settings.PORTAL_CLINIC_NAME = "Harbour Plastic Surgery"
    user = coordinator()
    with pytest.raises(ValidationError):
        validate_password(password, user)


@pytest.mark.django_db
def test_a_good_passphrase_passes():
    validate_password("correct-horse-battery-staple", coordinator())
    validate_password("harbour-lights-over-misty-water", coordinator("c2"))


# --- Append-only -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_erase_security_events(settings):
    if connection.vendor != "postgresql":
        pytest.skip("triggers are PostgreSQL's")
    security_event_record(Kind.SIGN_OUT)
    table = SecurityEvent._meta.db_table
    for sql in [
        f"UPDATE {table} SET detail = 'x'",  # noqa: S608
        f"DELETE FROM {table}",  # noqa: S608
        f"TRUNCATE {table}",
    ]:
        with (
            pytest.raises(Exception, match="append-only|Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert SecurityEvent.objects.count() == 1
