"""End to end: a submitted request's photos processed by a real Celery worker process."""

import time

import pytest

from consultations.models import ConsultationRequest
from tests.images import fixture_bytes, jpeg_upload, upload
from tests.photos import assert_no_metadata
from tests.submission import submit
from uploads.models import Photo, ProcessingStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_until_processed(worker, photo_ids, timeout=30.0) -> list[Photo]:
    """Until every photo left "pending" and, when ready, its upload was deleted
    (which happens just after the ready state commits)."""
    deadline = time.monotonic() + timeout
    while True:
        photos = list(Photo.objects.filter(pk__in=photo_ids))
        if all(
            p.status == ProcessingStatus.FAILED
            or (p.status == ProcessingStatus.READY and p.original_deleted_at)
            for p in photos
        ):
            return photos
        if time.monotonic() > deadline:
            statuses = [p.status for p in photos]
            pytest.fail(f"photos still pending after {timeout} s: {statuses}\n{worker.log()}")
        time.sleep(0.2)


def test_the_worker_processes_a_submitted_requests_photos(request, client, storage_view):
    # The bucket (when S3) must exist before the worker starts: the fixture
    # hands the worker its settings through the environment.
    worker = request.getfixturevalue("celery_worker")

    response = submit(
        client,
        [
            upload("IMG_5195.HEIC", fixture_bytes("IMG_5195.HEIC"), "image/heic"),
            upload("DSCN0010.jpg", fixture_bytes("DSCN0010.jpg")),
            jpeg_upload("front.jpg"),
        ],
    )
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    ids = list(consultation.photos.values_list("pk", flat=True))

    photos = wait_until_processed(worker, ids)

    assert {p.status for p in photos} == {ProcessingStatus.READY}, worker.log()
    expected = set()
    for photo in photos:
        assert photo.original_deleted_at is not None
        renditions = {r.name: r for r in photo.renditions.all()}
        assert set(renditions) == {"review", "display", "thumbnail"}
        expected |= {r.key for r in renditions.values()}
        for rendition in renditions.values():
            assert_no_metadata(storage_view.read(rendition.key))
    # Only renditions remain: the uploads, with their metadata, are gone.
    assert storage_view.keys() == expected
    assert len(expected) == 9
    assert "photo processed" in worker.log()
