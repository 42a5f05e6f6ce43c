"""A form that needs correcting keeps its photos (held), without JavaScript; held photos expire."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations.models import ConsultationRequest
from consultations.status_links import status_path
from tests.case_steps import asked
from tests.images import jpeg_upload, upload
from tests.submission import form_data
from uploads.held import held_uploads_expire
from uploads.models import HeldUpload, Photo
from uploads.tasks import held_uploads_expire_task

pytestmark = pytest.mark.django_db

FORM_URL = reverse("consultations:request_new")


def post(client, **fields):
    return client.post(FORM_URL, fields)


def two_slots_with_a_mistake(client) -> dict:
    data = form_data(email="not an email")
    response = post(
        client,
        **data,
        photo_front=jpeg_upload("front.jpg"),
        photo_left_profile=jpeg_upload("side.jpg"),
    )
    assert response.status_code == 200
    return data


def test_photos_in_two_slots_are_kept_across_an_error_and_sent_with_the_fix(client, private_root):
    data = two_slots_with_a_mistake(client)
    html = client.get(FORM_URL).content.decode()  # a fresh GET shows nothing held
    assert "Kept:" not in html
    held = {h.slot: h for h in HeldUpload.objects.all()}
    assert set(held) == {"front", "left_profile"}
    assert all((private_root / h.original_key).is_file() for h in held.values())

    response = post(client, **{**data, "email": "imogen.patient@example.org"})
    assert response.status_code == 302
    case = ConsultationRequest.objects.get()
    assert sorted(case.photos.values_list("angle", flat=True)) == ["front", "left_profile"]
    assert HeldUpload.objects.count() == 0
    # The held objects became the photos' uploads: nothing copied, nothing lost.
    assert {p.original_key for p in case.photos.all()} == {h.original_key for h in held.values()}


def test_the_page_shows_each_kept_photo_in_its_slot_with_a_remove_box(client):
    data = form_data(email="not an email")
    response = post(client, **data, photo_front=jpeg_upload("front.jpg"))
    html = response.content.decode()
    assert "Kept: <strong>front.jpg</strong>" in html
    held = HeldUpload.objects.get()
    assert f'name="remove_kept" value="{held.pk}"' in html
    assert "Please choose your photos again" not in html


def test_a_removed_kept_photo_is_deleted_and_not_sent(client, private_root):
    data = two_slots_with_a_mistake(client)
    front = HeldUpload.objects.get(slot="front")
    post(client, **{**data, "email": "imogen.patient@example.org", "remove_kept": str(front.pk)})
    case = ConsultationRequest.objects.get()
    assert list(case.photos.values_list("angle", flat=True)) == ["left_profile"]
    assert not (private_root / front.original_key).exists()


def test_a_new_file_in_a_slot_replaces_the_kept_one(client, private_root):
    data = two_slots_with_a_mistake(client)
    old = HeldUpload.objects.get(slot="front")
    post(client, **data, photo_front=jpeg_upload("again.jpg"))
    fronts = HeldUpload.objects.filter(slot="front")
    assert [h.name for h in fronts] == ["again.jpg"]
    assert not (private_root / old.original_key).exists()


def test_another_browser_cannot_use_the_keys_held_photos(client):
    data = two_slots_with_a_mistake(client)
    other = Client()
    response = post(other, **{**data, "email": "imogen.patient@example.org"})
    assert response.status_code == 200
    assert "Please add at least one photo." in response.content.decode()
    assert ConsultationRequest.objects.count() == 0
    assert HeldUpload.objects.count() == 2


def test_the_maximum_counts_kept_and_new_photos_together(client, settings):
    settings.PORTAL_MAX_PHOTOS = 3
    data = two_slots_with_a_mistake(client)
    response = post(
        client,
        **{**data, "email": "imogen.patient@example.org"},
        photos=[jpeg_upload("a.jpg"), jpeg_upload("b.jpg")],
    )
    html = response.content.decode()
    assert "You have 4 photos here; the clinic takes at most 3. Please remove 1" in html
    assert ConsultationRequest.objects.count() == 0
    # Nothing chosen is lost: the patient decides which one goes.
    assert HeldUpload.objects.count() == 4


def test_the_reply_keeps_photos_across_an_error(client, coordinator_user):
    case = asked(by=coordinator_user)
    path = status_path(case)
    question = case.information_requests.get()
    page = client.get(path).content.decode()
    assert 'name="submission_key"' in page
    response = client.post(
        path,
        {"question": question.pk, "answer": "x" * 4001, "photos": [jpeg_upload("lip.jpg")]},
    )
    assert "Kept: <strong>lip.jpg</strong>" in response.content.decode()
    held = HeldUpload.objects.get()
    response = client.post(
        path,
        {"question": question.pk, "answer": "Here.", "submission_key": held.submission_key},
    )
    assert response.status_code == 302
    assert list(case.photos.values_list("angle", flat=True)) == ["added_later"]
    assert HeldUpload.objects.count() == 0


def test_held_photos_expire_from_database_and_storage(client, storage_view, settings):
    settings.PORTAL_HELD_PHOTO_HOURS = 24
    two_slots_with_a_mistake(client)
    keys = {h.original_key for h in HeldUpload.objects.all()}
    assert keys <= storage_view.keys()
    assert held_uploads_expire() == 0
    HeldUpload.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert held_uploads_expire_task.delay().get() == 2
    assert HeldUpload.objects.count() == 0 and Photo.objects.count() == 0
    assert not keys & storage_view.keys()


def test_the_beat_schedule_runs_the_expiry(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["held-uploads-expire"]
    assert entry["task"] == "uploads.held_uploads_expire"


def test_a_refused_file_among_other_photos_costs_only_itself(client, private_root):
    data = form_data()
    not_a_photo = upload("notes.jpg", b"<html>not a photo</html>")
    response = post(
        client, **data, photos=[jpeg_upload("a.jpg"), not_a_photo, jpeg_upload("b.jpg")]
    )
    html = response.content.decode()
    assert "“notes.jpg”" in html
    assert "Kept: <strong>a.jpg</strong>" in html and "Kept: <strong>b.jpg</strong>" in html
    assert sorted(HeldUpload.objects.values_list("name", flat=True)) == ["a.jpg", "b.jpg"]

    post(client, **data)
    case = ConsultationRequest.objects.get()
    assert list(case.photos.values_list("angle", flat=True)) == ["other", "other"]
