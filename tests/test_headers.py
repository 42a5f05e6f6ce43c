"""Security headers and cookies on real responses, and the photo storage's
own security properties as the production settings build them."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser import DESK, Person, sign_in
from tests.staff import administrator, signed_in

DENIED = ["camera", "microphone", "geolocation", "payment", "usb", "bluetooth", "serial"]


def policy(response) -> dict[str, str]:
    pairs = (item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    return dict(pairs)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/staff/", "/admin/login/"])
def test_unused_browser_features_are_switched_off(client, path):
    features = policy(client.get(path))
    for feature in DENIED:
        assert features[feature] == "()", feature
    # Staff passkeys still work on the portal's own pages.
    assert features["publickey-credentials-get"] == "(self)"


@pytest.mark.django_db
def test_the_admin_has_the_same_content_security_policy(admin_client):
    response = admin_client.get(reverse("admin:consultations_consultationrequest_changelist"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


@pytest.mark.django_db
def test_cookies_carry_the_host_prefix(client, settings):
    from config import settings as production

    # The production default (DEBUG off): secure cookies, so __Host- names.
    assert production.PORTAL_HOST_PREFIX_COOKIES is True
    assert settings.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert settings.CSRF_COOKIE_NAME == "__Host-csrftoken"
    # The suite's fixture turns Secure off for the test client; restore production's.
    settings.SESSION_COOKIE_SECURE = production.SESSION_COOKIE_SECURE
    settings.CSRF_COOKIE_SECURE = production.CSRF_COOKIE_SECURE
    client.get(reverse("consultations:request_new"))
    csrf = client.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]

    signed_in(client, administrator("ada"))
    session = client.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["path"] == "/" and not session["domain"]


@pytest.mark.leaves_orphans  # writes an object with no row to read its headers
def test_the_photo_storage_is_private_encrypted_and_short_lived(s3_bucket):
    options = settings.STORAGES["private"]["OPTIONS"]  # config.settings.private_storage_options
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] <= 60
    assert options["custom_domain"] is None
    assert options["file_overwrite"] is False
    assert options["object_parameters"] == {"ServerSideEncryption": "AES256"}
    assert options["signature_version"] == "s3v4"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_its_policy_in_chromium(chromium, portal):
    administrator("ada")
    desk = Person(chromium, portal.url, "admin-csp", DESK)
    sign_in(desk, "ada")
    for path in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/"):
        response = desk.page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        desk.step(path.strip("/").replace("/", "-"))  # no console errors: no CSP refusals
    desk.close()
