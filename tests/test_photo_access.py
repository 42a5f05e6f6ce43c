"""Staff reach photos only through the checked view; every access is recorded."""

import re
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Permission, User
from django.template.loader import render_to_string
from django.urls import reverse

from consultations.access import photos_visible_to
from consultations.models import AccessRecord
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import PASSWORD, coordinator, make_user, signed_in, surgeon
from uploads.models import Photo, ProcessingStatus
from uploads.services import photo_mark_failed, photo_process

pytestmark = pytest.mark.django_db

FILENAME = re.compile(r'^inline; filename="CR-[2-9A-Z]{4}-[2-9A-Z]{4}-photo-2-display\.jpg"$')


def user_with_photo_permission(username="coordinator") -> User:
    """A coordinator: the role that may see every case's photos."""
    return coordinator(username)


@pytest.fixture
def allowed():
    return user_with_photo_permission()


@pytest.fixture
def outsider():
    # Staff, signed in, but without the right to see photos.
    return User.objects.create_user("outsider", password=PASSWORD, is_staff=True)


@pytest.fixture
def ready_photo(private_root):
    """The second photo of a request, processed: its download name says photo-2."""
    consultation = ConsultationRequestFactory()
    stored_photo(image_bytes("JPEG", (64, 48)), consultation=consultation)
    photo = stored_photo(image_bytes("JPEG", (3000, 2000)), consultation=consultation)
    photo_process(photo_id=photo.id)
    return Photo.objects.get(pk=photo.pk)


def url(photo_id, rendition="display") -> str:
    return reverse("uploads:photo_rendition", args=[photo_id, rendition])


def assert_private(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Local private directory: the file is streamed ----------------------------


def test_an_allowed_user_gets_the_file_streamed_with_fixed_headers(client, allowed, ready_photo):
    signed_in(client, allowed)

    response = client.get(url(ready_photo.id), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    rendition = ready_photo.renditions.get(name="display")
    body = b"".join(response.streaming_content)
    assert len(body) == rendition.size
    assert response["Content-Type"] == "image/jpeg"
    assert FILENAME.match(response["Content-Disposition"]), response["Content-Disposition"]
    assert_private(response)
    access = AccessRecord.objects.get()
    assert (
        access.user,
        access.photo_id,
        access.rendition,
        access.ip_address,
        access.case_id,
        access.status_code,
    ) == (allowed, ready_photo.id, "display", "203.0.113.7", ready_photo.consultation_id, 200)


def test_every_access_writes_exactly_one_record(client, allowed, ready_photo):
    signed_in(client, allowed)
    for rendition in ("thumbnail", "display", "review", "display"):
        assert client.get(url(ready_photo.id, rendition)).status_code == 200

    records = list(AccessRecord.objects.order_by("pk").values_list("rendition", flat=True))
    assert records == ["thumbnail", "display", "review", "display"]


def test_anonymous_users_are_sent_to_sign_in_and_nothing_is_recorded(client, ready_photo):
    response = client.get(url(ready_photo.id))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]
    assert AccessRecord.objects.count() == 0


def test_without_permission_the_photo_is_as_missing_as_one_that_does_not_exist(
    client, outsider, allowed, ready_photo
):
    signed_in(client, outsider)
    forbidden = client.get(url(ready_photo.id))
    signed_in(client, allowed)
    missing = client.get(url("00000000-0000-4000-8000-000000000000"))

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    # Refusals are recorded as such, with the user; nothing was shown.
    assert not AccessRecord.objects.filter(outcome="shown").exists()


def test_an_inactive_account_is_refused_even_with_the_role(allowed, ready_photo):
    allowed.is_active = False
    assert not photos_visible_to(allowed).exists()


def test_the_rule_lets_a_coordinator_have_the_photo(allowed, ready_photo):
    assert ready_photo in photos_visible_to(allowed)


def test_an_unknown_rendition_is_not_found(client, allowed, ready_photo):
    signed_in(client, allowed)
    assert client.get(url(ready_photo.id, "original")).status_code == 404


def test_only_get_is_allowed(client, allowed, ready_photo):
    signed_in(client, allowed)
    assert client.post(url(ready_photo.id)).status_code == 405


def test_a_photo_still_processing_answers_409_with_a_clear_page(client, allowed, private_root):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    signed_in(client, allowed)

    response = client.get(url(photo.id))

    assert response.status_code == 409
    assert b"still being processed" in response.content
    assert_private(response)
    # The page shows the case's photo state to someone allowed: recorded too.
    assert AccessRecord.objects.get().status_code == 409


def test_a_failed_photo_answers_409_with_its_reason(client, allowed, private_root):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=photo.id, reason="The photo could not be decoded (OSError).")
    signed_in(client, allowed)

    response = client.get(url(photo.id))

    assert response.status_code == 409
    assert b"could not be decoded" in response.content


def test_a_pending_photo_is_still_404_for_someone_without_permission(
    client, outsider, private_root
):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    signed_in(client, outsider)
    assert client.get(url(photo.id)).status_code == 404


# --- S3: a short-lived presigned URL ------------------------------------------


def test_on_s3_an_allowed_user_is_redirected_to_a_short_lived_url_with_fixed_headers(
    client, allowed, s3_bucket
):
    consultation = ConsultationRequestFactory()
    stored_photo(image_bytes("JPEG", (64, 48)), consultation=consultation)
    photo = stored_photo(image_bytes("JPEG", (3000, 2000)), consultation=consultation)
    photo_process(photo_id=photo.id)
    signed_in(client, allowed)

    response = client.get(url(photo.id))

    assert response.status_code == 302
    assert_private(response)
    location = urlparse(response["Location"])
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert int(query["X-Amz-Expires"]) <= 60
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert "X-Amz-Signature" in query
    assert query["response-content-type"] == "image/jpeg"
    assert FILENAME.match(query["response-content-disposition"])
    assert query["response-cache-control"] == "private, no-store"
    assert location.path.endswith(f"/renditions/{photo.id}/display.jpg")
    assert AccessRecord.objects.filter(photo_id=photo.id, rendition="display").count() == 1

    # moto does not check signatures, but it does honour the response overrides.
    with urllib.request.urlopen(response["Location"]) as fetched:  # noqa: S310 - local moto
        assert fetched.headers["Content-Type"] == "image/jpeg"
        assert FILENAME.match(fetched.headers["Content-Disposition"])
        assert fetched.headers["Cache-Control"] == "private, no-store"
        assert len(fetched.read()) == photo.renditions.get(name="display").size


def test_on_s3_without_permission_there_is_no_url(client, outsider, s3_bucket):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_process(photo_id=photo.id)
    signed_in(client, outsider)

    response = client.get(url(photo.id))

    assert response.status_code == 404
    assert "Location" not in response
    assert not AccessRecord.objects.filter(outcome="shown").exists()


# --- The admin shows no photo ---------------------------------------------------


def test_the_photo_admin_shows_the_state_but_never_the_image(client, ready_photo):
    admin = User.objects.create_superuser("admin", password=PASSWORD)
    signed_in(client, admin)

    page = client.get(reverse("admin:uploads_photo_change", args=[ready_photo.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Ready" in html
    assert reverse("uploads:photo_rendition", args=[ready_photo.id, "thumbnail"]) not in html


# --- The thumbnail include ------------------------------------------------------


def test_the_thumbnail_include_shows_a_ready_photo_through_the_checked_view(ready_photo):
    Photo.objects.filter(pk=ready_photo.pk).update(angle="left_oblique")
    photo = Photo.objects.prefetch_related("renditions").get(pk=ready_photo.pk)

    html = render_to_string("uploads/photo_thumb.html", {"photo": photo, "number": 2})

    assert f'src="{url(photo.id, "thumbnail")}"' in html
    assert 'alt="Left oblique"' in html
    assert 'width="320" height="213"' in html


def test_the_thumbnail_include_names_the_photo_by_position_without_an_angle(ready_photo):
    html = render_to_string("uploads/photo_thumb.html", {"photo": ready_photo, "number": 2})
    assert 'alt="Photo 2"' in html


def test_the_thumbnail_include_says_processing_until_the_photo_is_ready(private_root):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))

    html = render_to_string("uploads/photo_thumb.html", {"photo": photo, "number": 3})

    assert "<img" not in html
    assert "Processing…" in html
    assert "Photo 3: " in html


def test_the_thumbnail_include_gives_the_reason_a_photo_failed(private_root):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=photo.id, reason="The photo could not be decoded (OSError).")
    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.FAILED

    html = render_to_string("uploads/photo_thumb.html", {"photo": photo})

    assert "<img" not in html
    assert "Could not be processed: The photo could not be decoded (OSError)." in html


# --- Case-level rules: the same as the case pages ------------------------------


def test_a_surgeon_sees_the_photos_of_cases_routed_to_them_only(client, ready_photo):
    from consultations.case_changes import consultation_route

    mine = surgeon("mine")
    other = surgeon("other")
    consultation_route(
        consultation=ready_photo.consultation,
        by=coordinator("coord"),
        surgeon=mine,
        note="",
        version=ready_photo.consultation.version,
    )
    signed_in(client, other)
    assert client.get(url(ready_photo.id)).status_code == 404
    signed_in(client, mine)
    assert client.get(url(ready_photo.id)).status_code == 200
    assert AccessRecord.objects.filter(user=mine, outcome="shown").count() == 1
    assert AccessRecord.objects.get(user=other).outcome == "denied"


def test_a_model_permission_without_a_role_sees_nothing(client, ready_photo):
    holder = make_user("holder", is_staff=True)
    holder.user_permissions.add(Permission.objects.get(codename="view_photo"))
    signed_in(client, holder)
    assert client.get(url(ready_photo.id)).status_code == 404
    assert AccessRecord.objects.get().outcome == "denied"


def test_a_rendition_missing_from_local_storage_is_a_clear_404(client, allowed, ready_photo):
    from uploads.storage import private_storage

    private_storage().delete(ready_photo.display_rendition.key)
    signed_in(client, allowed)
    response = client.get(url(ready_photo.id))
    assert response.status_code == 404
