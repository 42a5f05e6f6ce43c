"""The error pages: branded, with the clinic's contact, saying what actually happened.

The 400 cases are real multipart bodies that Django's parser refuses; the 413
page is fetched from the README's two servers (runserver and gunicorn),
started as processes with DEBUG off.
"""

import http.client
import os
import uuid
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse

from consultations.error_views import server_error
from tests.conftest import _database_url_for_subprocess, free_port
from tests.images import image_bytes, jpeg_upload
from tests.production_server import GUNICORN, RUNSERVER, collect_static, start_server
from tests.staff import signed_in
from tests.submission import form_data

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
CONTACT = ('href="tel:+12025550100"', 'href="mailto:care@clinic.example"')


def assert_branded(html: str):
    assert "Harbour Plastic Surgery" in html
    assert "css/portal" in html
    for link in CONTACT:
        assert link in html


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body written by hand, so a part can carry any header."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: image/jpeg\r\n"
        body += b"\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_multipart(client, parts):
    body, content_type = multipart(parts)
    return client.generic("POST", reverse("consultations:request_new"), body, content_type)


def fields_and(photos: list[tuple[str, bytes]]) -> list[tuple[str, str | None, bytes]]:
    fields = [(k, None, str(v).encode()) for k, v in form_data().items() if k != "concerns"]
    return fields + [("photos", name, content) for name, content in photos]


def test_too_many_files_names_the_limit(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5
    jpeg = image_bytes(size=(8, 8))
    response = post_multipart(client, fields_and([(f"p{i}.jpg", jpeg) for i in range(6)]))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Too many files at once" in html
    assert "please choose at most 8 photos" in html
    assert "file name" not in html
    assert_branded(html)


def test_a_file_name_over_djangos_header_limit_says_rename_it(client):
    # Django refuses part headers over 1,024 bytes; a phone app can make names that long.
    long_name = "IMG_" + "holiday-" * 140 + ".jpg"
    response = post_multipart(client, fields_and([(long_name, image_bytes(size=(8, 8)))]))
    html = response.content.decode()
    assert response.status_code == 400
    assert "A file name is too long" in html
    assert "photo1.jpg" in html
    assert "Too many files" not in html
    assert_branded(html)


def test_any_other_unreadable_body_gets_the_general_page(client):
    body = b'--abc\r\nContent-Disposition: form-data; name="x"\r\n\r\nunfinished'
    response = client.generic(
        "POST",
        reverse("consultations:request_new"),
        body,
        "multipart/form-data; boundary=",  # no boundary: Django cannot split the body
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "We could not read that request" in html
    assert "Too many files" not in html and "file name" not in html
    assert_branded(html)


def test_a_long_name_within_the_limit_is_accepted(client):
    response = client.post(
        reverse("consultations:request_new"),
        {**form_data(), "photos": [jpeg_upload("p" * 200 + ".jpg")]},
    )
    assert response.status_code == 302


def test_404_and_403_pages_are_branded_with_the_contact(client, coordinator_user, surgeon_user):
    assert_branded(client.get("/no-such-page/").content.decode())
    signed_in(client, surgeon_user)
    response = client.get(reverse("staff:queue"))
    assert response.status_code == 403
    assert "Harbour Plastic Surgery" in response.content.decode()


def test_the_500_page_is_branded_with_the_contact():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert_branded(response.content.decode())


def test_the_413_page_under_the_test_client_is_branded(client, settings):
    settings.PORTAL_MAX_REQUEST_BYTES = 10_000
    response = client.post(
        reverse("consultations:request_new"),
        {**form_data(), "photos": [jpeg_upload(size=(1600, 1200))]},
    )
    assert response.status_code == 413
    assert "Connection" not in response  # not gunicorn: PEP 3333 forbids hop-by-hop headers
    assert_branded(response.content.decode())


# --- The README's servers, as processes ------------------------------------------


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_STATIC_ROOT": str(static_root),
        "PORTAL_MAX_REQUEST_BYTES": "200000",
        "PORTAL_LOG_LEVEL": "WARNING",
        # No broker, console mail, a local address: allowed for this server only.
        "PORTAL_ALLOW_UNSAFE": "eager_tasks,console_email,local_site_url",
    }
    collect_static(env)
    return env


SERVERS = {
    "runserver": lambda port: [*RUNSERVER, f"127.0.0.1:{port}"],
    "gunicorn": lambda port: [*GUNICORN, "--workers", "1", "--bind", f"127.0.0.1:{port}"],
}


@pytest.mark.parametrize("server", SERVERS)
def test_an_over_limit_upload_gets_the_413_page_from_both_servers(production_env, tmp_path, server):
    port = free_port()
    # runserver checks migrations at start: give it the test database.
    env = {**production_env, "DATABASE_URL": _database_url_for_subprocess()}
    process = start_server(
        SERVERS[server](port), env=env, port=port, log_path=tmp_path / "server.log"
    )
    try:
        # About 1 MB of photo: five times the limit set above.
        body, content_type = multipart(fields_and([("big.jpg", os.urandom(1_000_000))]))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        html = response.read().decode()
    finally:
        process.terminate()
        process.wait(10)
    log = (tmp_path / "server.log").read_text()
    assert response.status == 413, log
    assert "Your photos are too large to send together" in html
    assert "Nothing was submitted" in html
    assert_branded(html)
    assert "Traceback" not in log and "Hop-by-hop" not in log
    if server == "gunicorn":
        # It stops there instead of reading the rest of the body.
        assert response.getheader("Connection") == "close"
