"""The storage reconciliation, against faults recreated for real.

Drill 2: S3 refuses connections after the first photo's PUT (a TCP proxy in
front of moto is cut), so the submission and its cleanup both fail and a raw
upload is left with no row. Drill 6: the raw upload of a photo marked ready is
never deleted (the proxy drops the DELETE, as a worker killed right there
would). Both must be swept once they are older than the threshold, and nothing
young or still needed may ever be touched.
"""

import datetime
import os
import uuid

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from consultations.models import ConsultationRequest
from tests.images import image_bytes, jpeg_upload
from tests.photos import stored_photo
from tests.submission import submit
from uploads.models import Photo, ProcessingStatus
from uploads.reconcile import storage_objects_unreferenced, storage_reconcile
from uploads.services import RetryableStorageError, photo_mark_failed, photo_process
from uploads.storage import private_storage
from uploads.tasks import storage_reconcile_task

pytestmark = pytest.mark.django_db

THRESHOLD = datetime.timedelta(hours=1)


def keys_in(s3, bucket) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def files_in(root) -> set[str]:
    return {
        os.path.relpath(os.path.join(directory, name), root)
        for directory, _, names in os.walk(root)
        for name in names
    }


def after_the_threshold(time_machine) -> None:
    time_machine.move_to(timezone.now() + THRESHOLD + datetime.timedelta(minutes=1))


def test_drill_2_uploads_left_by_a_failed_submission_are_swept_once_old(
    client, s3_behind_proxy, time_machine
):
    s3, bucket, proxy = s3_behind_proxy
    # The first photo's PUT goes through; from the next request on, S3 is gone.
    proxy.cut_when(lambda line, before: any(seen.startswith("PUT ") for seen in before))

    response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg"), jpeg_upload("c.jpg")])

    assert proxy.is_cut
    assert response.status_code == 503
    assert "nothing was submitted" in response.content.decode().lower()
    assert ConsultationRequest.objects.count() == 0
    assert Photo.objects.count() == 0
    # The cleanup could not reach S3 either: the raw upload is left behind.
    left = keys_in(s3, bucket)
    assert len(left) == 1
    assert next(iter(left)).startswith("originals/")

    proxy.restore()
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 0, "deleted": 0}
    assert keys_in(s3, bucket) == left

    after_the_threshold(time_machine)
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 1, "deleted": 1}
    assert keys_in(s3, bucket) == set()
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 0, "deleted": 0}


def test_drill_6_the_upload_of_a_ready_photo_is_swept_and_its_renditions_kept(
    s3_behind_proxy, time_machine
):
    s3, bucket, proxy = s3_behind_proxy
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    # Processing commits "ready", then the upload's DELETE never reaches S3.
    proxy.cut_when(lambda line, before: line.startswith("DELETE "))
    with pytest.raises(RetryableStorageError):
        photo_process(photo_id=photo.id)
    proxy.restore()

    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.READY
    assert photo.original_deleted_at is None
    renditions = set(photo.renditions.values_list("key", flat=True))
    assert len(renditions) == 3
    assert keys_in(s3, bucket) == renditions | {photo.original_key}

    after_the_threshold(time_machine)
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 1, "deleted": 1}

    assert keys_in(s3, bucket) == renditions
    photo.refresh_from_db()
    assert photo.original_deleted_at is not None
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 0, "deleted": 0}


def test_on_the_local_disk_only_what_no_row_needs_goes(private_root, time_machine, settings):
    storage = private_storage()
    never_committed = storage.save(f"originals/{uuid.uuid4()}.jpg", ContentFile(b"raw"))
    stray = storage.save("originals/not-a-photo.txt", ContentFile(b"?"))
    pending = stored_photo(image_bytes("JPEG", (64, 48)))
    failed = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=failed.id, reason="The photo could not be decoded (OSError).")
    ready = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_process(photo_id=ready.id)
    erased = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_process(photo_id=erased.id)
    erased_renditions = set(erased.renditions.values_list("key", flat=True))
    Photo.objects.filter(pk=erased.pk).delete()
    needed = {pending.original_key, failed.original_key} | set(
        ready.renditions.values_list("key", flat=True)
    )
    before = files_in(private_root)
    assert before == needed | erased_renditions | {never_committed, stray}

    # Young: nothing is touched, however unreferenced.
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 0, "deleted": 0}
    assert files_in(private_root) == before

    after_the_threshold(time_machine)
    # Written a moment ago (by the clock now): still being written, perhaps.
    just_written = storage.save(f"originals/{uuid.uuid4()}.jpg", ContentFile(b"raw"))
    moment_ago = timezone.now().timestamp() - 60
    os.utime(os.path.join(private_root, just_written), (moment_ago, moment_ago))

    assert {item.key for item in storage_objects_unreferenced(older_than=THRESHOLD)} == (
        erased_renditions | {never_committed, stray}
    )
    # Through the periodic task (eager here), with the threshold from the settings.
    settings.PORTAL_STORAGE_ORPHAN_AFTER_SECONDS = int(THRESHOLD.total_seconds())
    assert storage_reconcile_task.delay().get() == {"unreferenced": 5, "deleted": 5}
    assert files_in(private_root) == needed | {just_written}
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 0, "deleted": 0}


def test_in_the_bucket_pending_and_failed_uploads_and_renditions_of_photos_stay(
    s3_bucket, time_machine
):
    s3, bucket = s3_bucket
    pending = stored_photo(image_bytes("JPEG", (64, 48)))
    failed = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=failed.id, reason="Storage was unavailable; gave up.")
    ready = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_process(photo_id=ready.id)
    orphan_rendition = f"renditions/{uuid.uuid4()}/thumbnail.jpg"
    private_storage().save(orphan_rendition, ContentFile(b"x"))
    before = keys_in(s3, bucket)

    after_the_threshold(time_machine)
    assert storage_reconcile(older_than=THRESHOLD) == {"unreferenced": 1, "deleted": 1}
    assert keys_in(s3, bucket) == before - {orphan_rendition}
    assert {pending.original_key, failed.original_key} <= keys_in(s3, bucket)


def test_the_task_is_on_the_beat_schedule_with_its_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["storage-reconcile"]
    assert entry["task"] == "uploads.storage_reconcile"
    assert entry["schedule"] == float(settings.PORTAL_STORAGE_RECONCILE_INTERVAL_SECONDS)
