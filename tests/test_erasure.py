"""Erasing a request: nothing of the patient stays in the database or in storage."""

import datetime
import io
import os

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations import case_changes
from consultations.models import (
    AccessRecord,
    ConsultationRequest,
    InternalNote,
    StatusChange,
    SurgeonReview,
)
from consultations.status_links import status_path
from consultations.workflow import TransitionRefused
from lifecycle.erasure import AlreadyErased, consultation_erase
from lifecycle.models import ErasureRecord, ObjectDeletion
from lifecycle.objects import object_deletions_run
from lifecycle.orphans import orphan_grace, storage_report
from tests.factories import ConsultationRequestFactory
from tests.full_case import PATIENT, WRITTEN, full_case
from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import administrator, signed_in
from uploads.models import HeldUpload, Photo, Rendition
from uploads.services import photo_process

pytestmark = pytest.mark.django_db

EVERYTHING_TYPED = [*PATIENT.values(), *WRITTEN.values()]


@pytest.fixture
def case(coordinator_user, surgeon_user):
    return full_case(coordinator=coordinator_user, surgeon=surgeon_user)


@pytest.fixture
def bystander():
    """Another request with a photo: erasing the case must not touch it."""
    other = ConsultationRequestFactory()
    photo_process(photo_id=stored_photo(image_bytes(), consultation=other).id)
    return other


def erase(case, by, django_capture_on_commit_callbacks, reason="Patient's request by email"):
    with django_capture_on_commit_callbacks(execute=True):
        return consultation_erase(consultation_id=case.pk, by=by, reason=reason)


def test_erasure_leaves_nothing_of_the_case_in_storage(
    storage_view,
    case,
    bystander,
    coordinator_user,
    django_capture_on_commit_callbacks,
    time_machine,
):
    # storage_view first: the case's photos go to the storage it chose.
    before = storage_view.keys()
    photo_ids = [str(pk) for pk in case.photos.values_list("pk", flat=True)]
    held_key = HeldUpload.objects.get(submission_key=case.submission_key).original_key
    mine = {key for key in before if any(pk in key for pk in photo_ids)} | {held_key}
    # Two photos (three renditions each, uploads already deleted) and the held upload.
    assert len(mine) == 7 and mine <= before

    erasure = erase(case, coordinator_user, django_capture_on_commit_callbacks)

    after = storage_view.keys()
    assert after == before - mine
    assert not any(pk in key for key in after for pk in photo_ids)
    assert erasure.photos == 2
    assert not ObjectDeletion.objects.exists()
    if storage_view.kind == "local":
        # Not even an empty directory named after a photo.
        left = {name for _, dirs, files in os.walk(storage_view.root) for name in dirs + files}
        assert not any(pk in name for name in left for pk in photo_ids)
    assert bystander.photos.get().renditions.count() == 3
    # Past the grace period the reconciliation finds nothing either way.
    time_machine.move_to(timezone.now() + orphan_grace() + datetime.timedelta(minutes=1))
    report = storage_report()
    assert (report.listed, report.unreferenced, report.missing) == (3, [], [])


def test_erasure_leaves_no_patient_detail_in_the_database(
    case, coordinator_user, django_capture_on_commit_callbacks
):
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert all(value in dump.getvalue() for value in EVERYTHING_TYPED)

    erase(case, coordinator_user, django_capture_on_commit_callbacks)

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for value in EVERYTHING_TYPED:
        assert value not in dump.getvalue(), value
    tombstone = ConsultationRequest.objects.get(pk=case.pk)
    assert (tombstone.reference, tombstone.status, tombstone.created_at) == (
        case.reference,
        case.status,
        case.created_at,
    )
    assert tombstone.erased_at is not None and tombstone.date_of_birth is None
    assert [c.to_status for c in StatusChange.objects.filter(consultation=case)] == [
        "awaiting_patient",
        "in_triage",
        "routed",
        "reviewed",
    ]
    assert not Photo.objects.filter(consultation=case).exists()
    assert not Rendition.objects.filter(photo__consultation=case).exists()


def test_the_access_log_survives_and_the_erasure_is_recorded(
    case, coordinator_user, django_capture_on_commit_callbacks
):
    client = signed_in(Client(), coordinator_user)
    assert client.get(reverse("staff:case_detail", args=[case.reference])).status_code == 200
    looks = list(AccessRecord.objects.filter(case_id=case.pk).values())

    erase(case, coordinator_user, django_capture_on_commit_callbacks, reason="Asked by phone")

    assert list(AccessRecord.objects.filter(case_id=case.pk).values()) == looks
    record = ErasureRecord.objects.get(consultation=case)
    assert (record.reference, record.erased_by, record.reason) == (
        case.reference,
        coordinator_user,
        "Asked by phone",
    )
    # Append-only below the application, like the access log.
    with pytest.raises(ProgrammingError), transaction.atomic():
        ErasureRecord.objects.filter(pk=record.pk).update(reason="nothing happened")
    with pytest.raises(ProgrammingError), transaction.atomic():
        ErasureRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(AlreadyErased):
        consultation_erase(consultation_id=case.pk, by=coordinator_user, reason="again")


def test_an_erased_case_is_gone_from_staff_pages_and_its_link_says_closed(
    client, case, coordinator_user, surgeon_user, django_capture_on_commit_callbacks
):
    erase(case, coordinator_user, django_capture_on_commit_callbacks)

    staff = signed_in(Client(), coordinator_user)
    assert staff.get(reverse("staff:case_detail", args=[case.reference])).status_code == 404
    assert case.reference not in staff.get(reverse("staff:queue")).content.decode()
    surgeon = signed_in(Client(), surgeon_user)
    assert (
        case.reference not in surgeon.get(reverse("staff:my_cases") + "?show=all").content.decode()
    )

    page = client.get(status_path(case))
    assert page.status_code == 200
    assert "This request is closed" in page.content.decode()


def test_a_coordinator_erases_after_typing_the_reference(
    case, coordinator_user, django_capture_on_commit_callbacks
):
    staff = signed_in(Client(), coordinator_user)
    url = reverse("staff:case_erase", args=[case.reference])
    assert case.reference in staff.get(url).content.decode()

    wrong = staff.post(url, {"reference": "CR-2222-2222", "reason": "Patient asked"})
    assert wrong.status_code == 400
    assert "not the reference of this case" in wrong.content.decode()
    no_reason = staff.post(url, {"reference": case.reference, "reason": ""})
    assert no_reason.status_code == 400
    assert staff.post(url, {}).status_code == 400
    assert not ErasureRecord.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = staff.post(url, {"reference": case.reference.lower(), "reason": "Patient asked"})
    assert done.status_code == 302 and done["Location"] == reverse("staff:queue")
    assert ErasureRecord.objects.get().erased_by == coordinator_user
    # Opening the erase page opened the case: it is in the access log.
    assert AccessRecord.objects.filter(view="staff:case_erase", case_id=case.pk).count() == 5


def test_a_surgeon_cannot_erase(case, surgeon_user):
    staff = signed_in(Client(), surgeon_user)
    url = reverse("staff:case_erase", args=[case.reference])
    response = staff.post(url, {"reference": case.reference, "reason": "Patient asked"})
    assert response.status_code == 404
    assert not ErasureRecord.objects.exists()


def test_the_admin_deletes_no_case_and_no_photo(case):
    admin = signed_in(Client(), administrator())
    photo = case.photos.first()
    for url in (
        reverse("admin:consultations_consultationrequest_delete", args=[case.pk]),
        reverse("admin:uploads_photo_delete", args=[photo.pk]),
    ):
        assert admin.post(url, {"post": "yes"}).status_code == 403, url
    changelist = admin.post(
        reverse("admin:consultations_consultationrequest_changelist"),
        {"action": "delete_selected", "_selected_action": [case.pk], "post": "yes"},
    )
    assert changelist.status_code == 200
    assert ConsultationRequest.objects.filter(pk=case.pk, erased_at__isnull=True).exists()
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_objects_that_storage_refused_are_deleted_on_a_later_run(
    s3_behind_proxy, case, coordinator_user, django_capture_on_commit_callbacks, time_machine
):
    s3, bucket, proxy = s3_behind_proxy
    photo_ids = [str(pk) for pk in case.photos.values_list("pk", flat=True)]

    def keys_of_the_case():
        listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {o["Key"] for o in listing if any(pk in o["Key"] for pk in photo_ids)}

    assert len(keys_of_the_case()) == 6
    proxy.cut_when(lambda line, before: line.startswith("DELETE "))
    erase(case, coordinator_user, django_capture_on_commit_callbacks)

    assert len(keys_of_the_case()) == 6
    pending = list(ObjectDeletion.objects.all())
    assert pending and all(row.attempts == 1 for row in pending)
    # Not due yet: a run now leaves them alone.
    proxy.restore()
    assert object_deletions_run() == {"deleted": 0, "failed": 0}

    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=1))
    assert object_deletions_run()["failed"] == 0
    assert keys_of_the_case() == set()
    assert not ObjectDeletion.objects.exists()


def test_nothing_more_is_written_to_a_case_erased_while_its_page_was_open(
    coordinator_user, surgeon_user, django_capture_on_commit_callbacks
):
    case = ConsultationRequestFactory()
    case = case_changes.consultation_route(
        consultation=case,
        by=coordinator_user,
        surgeon=surgeon_user,
        note="",
        version=case.version,
    )
    erase(case, coordinator_user, django_capture_on_commit_callbacks)

    with pytest.raises(TransitionRefused, match="erased"):
        case_changes.consultation_record_review(
            consultation=case,
            by=surgeon_user,
            recommendation="other",
            assessment="Written after the erasure",
            version=case.version,
        )
    with pytest.raises(TransitionRefused, match="erased"):
        case_changes.consultation_add_note(consultation=case, by=coordinator_user, body="Late")
    assert not SurgeonReview.objects.exists() and not InternalNote.objects.exists()
