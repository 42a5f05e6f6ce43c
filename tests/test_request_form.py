"""The patient's consultation request form, through Django's test client."""

import datetime
import uuid

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone

from consultations.models import ConsultationRequest, Status
from consultations.status_links import status_path
from tests.images import fixture_bytes, image_bytes, jpeg_upload, upload
from tests.submission import PATIENT, form_data, submit
from uploads.models import HeldUpload, Photo

pytestmark = pytest.mark.django_db

FORM_URL = reverse("consultations:request_new")


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_stored(private_root):
    """No request and no photo; only the photos kept for the form (held) are in storage."""
    assert ConsultationRequest.objects.count() == 0
    assert Photo.objects.count() == 0
    held = {h.original_key for h in HeldUpload.objects.all()}
    assert {str(p.relative_to(private_root)) for p in stored_files(private_root)} == held


def assert_values_kept(response):
    html = response.content.decode()
    assert PATIENT["first_name"] in html
    assert PATIENT["email"] in html
    assert "Hollowing under both eyes" in html
    assert 'value="under_eyes"' in html and "checked" in html


def test_the_form_renders_with_a_fresh_submission_key(client):
    response = client.get(FORM_URL)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    key = response.context["form"].initial["submission_key"]
    assert isinstance(key, uuid.UUID)
    assert 'type="file"' in response.content.decode()
    assert "multiple" in response.content.decode()


def test_a_valid_submission_stores_the_request_and_shows_its_status_page(client, private_root):
    response = submit(client, [jpeg_upload("Imogen-front.jpg"), jpeg_upload("IMG_0001.jpg")])

    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    assert consultation.status == Status.SUBMITTED
    assert consultation.reference.startswith("CR-")
    assert consultation.phone.as_e164 == "+442079460958"
    assert consultation.date_of_birth == datetime.date(1988, 4, 12)
    assert sorted(consultation.concerns.values_list("area", flat=True)) == [
        "cheeks",
        "under_eyes",
    ]
    treatments = {t.kind: t.approximate_date for t in consultation.treatments.all()}
    assert treatments == {
        "laser_resurfacing": datetime.date(2026, 10, 1),
        "carbon_peel": None,
    }
    for consent in ("consent_privacy_at", "consent_photos_at", "consent_contact_at"):
        assert timezone.now() - getattr(consultation, consent) < datetime.timedelta(minutes=1)
    assert consultation.privacy_notice_version

    photos = list(consultation.photos.all())
    assert len(photos) == 2
    files = stored_files(private_root)
    assert len(files) == 2
    for photo in photos:
        assert photo.original_key.startswith("originals/")
        assert "Imogen" not in photo.original_key and "IMG_0001" not in photo.original_key
        assert uuid.UUID(photo.original_key.split("/")[1].split(".")[0]) == photo.id
        assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 640, 480)

    # The redirect goes to the private status page: a signed random key, no id or reference.
    assert response["Location"] == status_path(consultation)
    assert consultation.reference not in response["Location"]
    status_page = client.get(response["Location"])
    assert consultation.reference in status_page.content.decode()


def test_heic_png_and_webp_are_accepted(client):
    response = submit(
        client,
        [
            upload("iphone.HEIC", fixture_bytes("IMG_5195.HEIC"), "image/heic"),
            upload("side.png", image_bytes("PNG"), "image/png"),
            upload("profile.webp", image_bytes("WEBP"), "image/webp"),
        ],
    )
    assert response.status_code == 302
    assert sorted(Photo.objects.values_list("content_type", flat=True)) == [
        "image/heif",
        "image/png",
        "image/webp",
    ]


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (upload("scan.jpg", b"%PDF-1.4\n%%EOF\n", "image/jpeg"), "“scan.jpg” is not a photo"),
        (upload("notes.jpg", b"just some text", "image/jpeg"), "“notes.jpg” is not a photo"),
        (
            upload("cut.jpg", fixture_bytes("pillow_truncated_jpeg.jpg")),
            "“cut.jpg” appears to be damaged",
        ),
        (
            upload("bomb.gif", fixture_bytes("pillow_decompression_bomb.gif"), "image/gif"),
            "“bomb.gif”",
        ),
    ],
    ids=["pdf-named-jpg", "text-named-jpg", "truncated-jpeg", "decompression-bomb"],
)
def test_a_bad_photo_is_refused_by_name_and_nothing_is_lost(client, private_root, photo, message):
    response = submit(client, [jpeg_upload(), photo])
    assert response.status_code == 200
    assert message in response.content.decode()
    assert_values_kept(response)
    assert_nothing_stored(private_root)


def test_every_bad_photo_is_named_at_once(client, private_root):
    response = submit(
        client,
        [upload("a.jpg", b"nope"), upload("b.jpg", fixture_bytes("pillow_truncated_jpeg.jpg"))],
    )
    html = response.content.decode()
    assert "“a.jpg”" in html and "“b.jpg”" in html
    assert_nothing_stored(private_root)


def test_too_many_photos(client, settings, private_root):
    settings.PORTAL_MAX_PHOTOS = 3
    response = submit(client, [jpeg_upload(f"p{i}.jpg") for i in range(4)])
    assert "You chose 4 photos; please choose at most 3." in response.content.decode()
    assert_values_kept(response)
    assert_nothing_stored(private_root)


def test_no_photo(client, private_root):
    response = submit(client, [])
    assert "Please add at least one photo." in response.content.decode()
    assert_nothing_stored(private_root)


def test_a_photo_over_the_size_limit(client, settings, private_root):
    settings.PORTAL_MAX_PHOTO_BYTES = 50_000
    big = upload("huge.jpg", image_bytes("PNG", (800, 800)) + b"\0" * 60_000)
    response = submit(client, [big])
    assert "“huge.jpg” is" in response.content.decode()
    assert "each photo may be at most 50\xa0KB" in response.content.decode()
    assert_nothing_stored(private_root)


def test_a_request_body_over_the_limit_gets_a_clear_page(client, settings, private_root):
    settings.PORTAL_MAX_REQUEST_BYTES = 10_000
    response = submit(client, [jpeg_upload(size=(1600, 1200))])
    assert response.status_code == 413
    assert "Nothing was submitted" in response.content.decode()
    assert_nothing_stored(private_root)


@time_machine.travel(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC))
def test_under_18_is_refused(client, private_root):
    response = submit(client, [jpeg_upload()], date_of_birth="2008-11-25")
    assert "You must be 18 or older to request a consultation." in response.content.decode()
    assert_values_kept(response)
    assert_nothing_stored(private_root)


@time_machine.travel(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC))
def test_eighteen_today_is_accepted(client):
    response = submit(client, [jpeg_upload()], date_of_birth="2008-11-24")
    assert response.status_code == 302


@pytest.mark.parametrize("consent", ["consent_privacy", "consent_photos", "consent_contact"])
def test_each_consent_is_required(client, private_root, consent):
    response = submit(client, [jpeg_upload()], **{consent: None})
    form = response.context["form"]
    assert list(form.errors) == [consent]
    assert_values_kept(response)
    assert_nothing_stored(private_root)


@pytest.mark.parametrize("phone", ["12", "not a number", "+44 20 79"])
def test_an_invalid_phone_number(client, private_root, phone):
    response = submit(client, [jpeg_upload()], phone=phone)
    assert "Please enter a phone number we can call" in response.content.decode()
    assert phone.replace(" ", " ") in response.content.decode()
    assert_nothing_stored(private_root)


def test_a_treatment_date_without_its_tick_and_other_without_text(client, private_root):
    response = submit(
        client,
        [jpeg_upload()],
        treatment_ipl_date="2026-01",
        treatment_other="on",
        treatment_other_description="",
    )
    html = response.content.decode()
    assert "Tick “IPL (intense pulsed light)” if you had it, or clear its date." in html
    assert "Please tell us which other treatment." in html
    assert 'value="2026-01"' in html
    assert_nothing_stored(private_root)


def test_field_errors_are_listed_in_a_summary_linking_to_each_field(client):
    response = submit(client, [jpeg_upload()], email="not-an-email", first_name="")
    html = response.content.decode()
    assert "Please check 2 answers" in html
    assert 'href="#id_email"' in html and 'href="#id_first_name"' in html
    assert 'aria-invalid="true"' in html


def test_the_honeypot_drops_bots_quietly(client, private_root):
    response = submit(client, [jpeg_upload()], website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:received")
    assert_nothing_stored(private_root)


def test_a_double_submit_creates_one_request(client, private_root):
    key = str(uuid.uuid4())
    first = submit(client, [jpeg_upload()], submission_key=key)
    second = submit(client, [jpeg_upload()], submission_key=key)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ConsultationRequest.objects.count() == 1
    assert Photo.objects.count() == 1
    assert len(stored_files(private_root)) == 1


def test_two_forms_make_two_requests(client):
    submit(client, [jpeg_upload()])
    submit(client, [jpeg_upload()])
    assert ConsultationRequest.objects.count() == 2
    refs = set(ConsultationRequest.objects.values_list("reference", flat=True))
    assert len(refs) == 2


def test_a_storage_failure_stores_nothing_and_says_so(client, private_root, storage_write_fails):
    calls = storage_write_fails(FileSystemStorage, nth=2)
    response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg"), jpeg_upload("c.jpg")])

    assert response.status_code == 503
    html = response.content.decode()
    assert "Nothing was submitted" in html
    assert_values_kept(response)
    assert len(calls) == 2
    # The first photo had been written; it was removed with the rolled-back rows.
    assert_nothing_stored(private_root)


def test_a_database_failure_after_photos_were_written_removes_them(
    client, private_root, monkeypatch
):
    from uploads import services

    real_create = services.Photo.objects.create
    created = []

    def create_then_fail(**kwargs):
        created.append(kwargs["id"])
        if len(created) == 2:
            raise RuntimeError("database went away")
        return real_create(**kwargs)

    monkeypatch.setattr(services.Photo.objects, "create", create_then_fail)
    response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")])

    assert response.status_code == 503
    assert_nothing_stored(private_root)


def test_the_form_data_helper_is_itself_valid():
    from consultations.forms import ConsultationRequestForm

    form = ConsultationRequestForm(form_data(), {"photos": [jpeg_upload()]})
    assert form.is_valid(), form.errors


def test_far_too_many_files_get_a_clear_page(client, settings, private_root):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5
    response = submit(client, [jpeg_upload(f"p{i}.jpg", size=(8, 8)) for i in range(6)])
    assert response.status_code == 400
    assert "Too many files at once" in response.content.decode()
    assert "please choose at most 8 photos" in response.content.decode()
    assert_nothing_stored(private_root)
