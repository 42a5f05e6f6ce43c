"""Photos sent in the background by the upload widget: held for the form, claimed by Send."""

import io
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from consultations.models import ConsultationRequest
from tests.images import fixture_bytes, jpeg_upload, upload
from tests.submission import form_data
from uploads.models import HeldUpload

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("consultations:photo_upload")
FORM_URL = reverse("consultations:request_new")


def send_photo(client, key, slot="front", photo=None):
    return client.post(
        UPLOAD_URL,
        {"submission_key": str(key), "slot": slot, "photo": photo or jpeg_upload(f"{slot}.jpg")},
    )


def test_a_photo_is_decoded_held_and_described_for_the_widget(client, private_root):
    key = uuid.uuid4()
    response = send_photo(client, key, photo=jpeg_upload("me.jpg", size=(800, 600)))
    assert response.status_code == 201
    answer = response.json()
    held = HeldUpload.objects.get()
    assert answer["id"] == str(held.pk)
    assert (answer["slot"], answer["name"], answer["width"], answer["height"]) == (
        "front",
        "me.jpg",
        800,
        600,
    )
    assert held.submission_key == key
    assert (private_root / held.original_key).is_file()
    assert response["Cache-Control"].startswith("max-age=0")


def test_send_claims_the_background_photos_with_their_angles(client, private_root):
    data = form_data()
    key = data["submission_key"]
    for slot in ("front", "left_profile", "other", "other"):
        assert send_photo(client, key, slot).status_code == 201
    response = client.post(FORM_URL, data)  # only the typed fields
    assert response.status_code == 302
    case = ConsultationRequest.objects.get()
    assert sorted(case.photos.values_list("angle", flat=True)) == [
        "front",
        "left_profile",
        "other",
        "other",
    ]
    assert HeldUpload.objects.count() == 0


def test_a_damaged_file_is_refused_with_a_sentence_and_nothing_is_kept(client, private_root):
    response = send_photo(
        client, uuid.uuid4(), photo=upload("cut.jpg", fixture_bytes("pillow_truncated_jpeg.jpg"))
    )
    assert response.status_code == 400
    answer = response.json()
    assert "“cut.jpg”" in answer["error"] and answer["retry"] is False
    assert HeldUpload.objects.count() == 0
    assert not list(private_root.rglob("*.jpg"))


@pytest.mark.parametrize(
    "name",
    ["declares_10_gigapixels.png", "pillow_decompression_bomb.gif", "heic_security_limit.heic"],
)
def test_bombs_and_decoder_limits_are_refused_as_on_the_form(client, name):
    response = send_photo(client, uuid.uuid4(), photo=upload(name, fixture_bytes(name)))
    assert response.status_code == 400, name
    assert HeldUpload.objects.count() == 0


def test_a_page_named_like_a_photo_is_refused(client):
    page = upload("front.jpg", b"<html><body>not a photo</body></html>")
    response = send_photo(client, uuid.uuid4(), photo=page)
    assert response.status_code == 400
    assert "“front.jpg”" in response.json()["error"]


def test_a_second_photo_in_a_guided_slot_replaces_the_first(client, private_root):
    key = uuid.uuid4()
    first = send_photo(client, key, "front").json()
    second = send_photo(client, key, "front").json()
    assert [str(h.pk) for h in HeldUpload.objects.all()] == [second["id"]]
    assert not HeldUpload.objects.filter(pk=first["id"]).exists()
    assert len(list((private_root / "originals").iterdir())) == 1


def test_the_maximum_counts_every_held_photo(client, settings):
    settings.PORTAL_MAX_PHOTOS = 2
    key = uuid.uuid4()
    assert send_photo(client, key, "other").status_code == 201
    assert send_photo(client, key, "front").status_code == 201
    refused = send_photo(client, key, "other")
    assert refused.status_code == 400
    assert "at most 2" in refused.json()["error"]
    # Replacing the front photo is no extra photo.
    assert send_photo(client, key, "front").status_code == 201


def test_remove_deletes_row_and_object_and_is_idempotent(client, private_root):
    held = send_photo(client, uuid.uuid4()).json()
    key = HeldUpload.objects.get().original_key
    assert client.post(held["remove"]).status_code == 204
    assert client.post(held["remove"]).status_code == 204
    assert HeldUpload.objects.count() == 0
    assert not (private_root / key).exists()


def test_another_browser_can_neither_see_nor_remove_a_held_photo(client):
    held = send_photo(client, uuid.uuid4()).json()
    other = Client()
    other.get(FORM_URL)  # a session of its own
    assert other.get(held["preview"]).status_code == 404
    assert other.post(held["remove"]).status_code == 204  # says nothing either way
    assert HeldUpload.objects.count() == 1


def test_the_preview_is_a_small_upright_jpeg_without_metadata_even_for_heic(client):
    heic = upload("IMG_5195.HEIC", fixture_bytes("IMG_5195.HEIC"), "image/heic")
    held = send_photo(client, uuid.uuid4(), photo=heic).json()
    response = client.get(held["preview"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    image = Image.open(io.BytesIO(response.content))
    assert max(image.size) <= 480
    assert not image.getexif()


def test_csrf_is_required_and_its_failure_is_a_sentence_for_the_widget(private_root):
    browser = Client(enforce_csrf_checks=True)
    browser.get(FORM_URL)
    response = send_photo(browser, uuid.uuid4())
    assert response.status_code == 403
    assert "reload the page" in response.json()["error"]
    assert HeldUpload.objects.count() == 0


def test_uploads_beyond_the_rate_are_refused_with_a_retry(client, settings):
    settings.PORTAL_PHOTO_UPLOAD_RATE_LIMIT = "2/h"
    key = uuid.uuid4()
    assert send_photo(client, key, "front").status_code == 201
    assert send_photo(client, key, "left_profile").status_code == 201
    refused = send_photo(client, key, "right_profile")
    assert refused.status_code == 429
    assert refused.json()["retry"] is True


def test_a_storage_failure_answers_503_with_retry_then_the_retry_works(client, private_root):
    # A real fault: the directory the originals go to cannot be made.
    private_root.mkdir(parents=True, exist_ok=True)
    blocker = private_root / "originals"
    blocker.write_bytes(b"not a directory")
    key = uuid.uuid4()
    response = send_photo(client, key)
    assert response.status_code == 503
    assert response.json()["retry"] is True
    assert HeldUpload.objects.count() == 0

    blocker.unlink()
    assert send_photo(client, key).status_code == 201


def test_the_form_page_carries_the_widgets_limits_from_settings(client, settings):
    settings.PORTAL_MAX_PHOTO_BYTES = 5_000_000
    html = client.get(FORM_URL).content.decode()
    assert f'data-photo-upload="{UPLOAD_URL}"' in html
    assert 'data-max-bytes="5000000"' in html
    assert 'data-max-size-text="5\xa0MB"' in html
    assert 'data-quality-blurry-below="80.0"' in html
    assert 'data-slot="front"' in html and 'data-slot="other"' in html


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("front.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>x()</script></html>"),
        ("front.heic", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64),
        ("front.jpg", b"%PDF-1.4\n1 0 obj\n<<>>\nstream\n" + fixture_bytes("DSCN0010.jpg")),
    ],
    ids=["jpeg-header-html", "video-header", "pdf-with-jpeg"],
)
def test_polyglots_are_refused_as_on_the_form(client, private_root, name, content):
    response = send_photo(client, uuid.uuid4(), photo=upload(name, content))
    assert response.status_code == 400
    assert f"“{name}”" in response.json()["error"]
    assert HeldUpload.objects.count() == 0
    assert not list(private_root.rglob("*.*"))


@pytest.mark.parametrize("missing", [1, 1_000, 20_000])
def test_a_camera_jpeg_cut_short_is_refused(client, missing):
    content = fixture_bytes("DSCN0010.jpg")
    response = send_photo(client, uuid.uuid4(), photo=upload("cut.jpg", content[:-missing]))
    assert response.status_code == 400
    assert "“cut.jpg”" in response.json()["error"]
