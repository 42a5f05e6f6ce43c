import datetime
import io
import logging
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from common.publish import task_publish

from .models import Photo, ProcessingStatus, Rendition
from .processing import PhotoUndecodable, render_photo
from .storage import private_storage
from .validation import PhotoFacts

logger = logging.getLogger(__name__)

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heif": "heic",
    "image/avif": "avif",
}


@dataclass(frozen=True)
class AcceptedPhoto:
    """An upload that passed validation, with what decoding it told us."""

    upload: File
    facts: PhotoFacts
    # Where the patient chose it: a PhotoAngle value (blank until the form knows).
    angle: str = ""
    # The patient's file name, shown back to them on a kept photo; never logged.
    name: str = ""


@contextmanager
def photos_stored_all_or_nothing():
    """Store photos inside a database transaction, all or nothing.

    Yields a function that stores a list of accepted photos for a request.
    Wrap it around ``transaction.atomic()``: if the block fails before its
    transaction commits, every object already written is deleted, so no
    orphaned photo outlives its rolled-back row. Once the rows have committed
    the objects are theirs: an exception after the commit (a failing publish,
    gunicorn's SystemExit on a worker timeout) must never delete them.
    """
    written_keys: list[str] = []
    committed = False

    def mark_committed():
        nonlocal committed
        committed = True

    def store(*, consultation, photos: list[AcceptedPhoto]) -> list[Photo]:
        if not written_keys:
            # Registered before the photos' own after-commit work, so it runs first.
            transaction.on_commit(mark_committed)
        return [
            photo_store(
                consultation=consultation,
                upload=p.upload,
                facts=p.facts,
                angle=p.angle,
                written_keys=written_keys,
            )
            for p in photos
        ]

    try:
        yield store
    except BaseException:
        if not committed:
            photo_objects_delete(written_keys)
        raise


def photo_store(
    *, consultation, upload: File, facts: PhotoFacts, angle: str = "", written_keys: list[str]
) -> Photo:
    """Write one accepted upload to private storage under a random key and record it.

    The stored key is appended to ``written_keys`` before the row is saved, so
    the caller can delete the object if anything later in its transaction fails.
    Processing into renditions is queued for when (and if) the row commits.
    """
    photo_id = uuid.uuid4()
    key = original_save(photo_id, upload, facts)
    written_keys.append(key)
    photo = Photo.objects.create(
        id=photo_id, consultation=consultation, angle=angle, original_key=key, **asdict(facts)
    )
    photo_process_on_commit(photo_id=photo_id)
    return photo


def original_save(object_id: uuid.UUID, upload: File, facts: PhotoFacts) -> str:
    upload.seek(0)
    return private_storage().save(f"originals/{object_id}.{EXTENSIONS[facts.content_type]}", upload)


def photo_objects_delete(keys: list[str]) -> None:
    """Best-effort removal of objects whose rows were rolled back."""
    storage = private_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - cleanup must try every key
            logger.exception("could not delete orphaned private object key=%s", key)


# --- Processing: renditions from the stored upload --------------------------

# Errors from talking to storage (disk, S3 over the network): another attempt
# later may well succeed. Decoding problems are PhotoUndecodable instead.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class RetryableStorageError(Exception):
    """Storage could not be read or written; the task should try again later."""


def rendition_key(*, photo_id: uuid.UUID, name: str, extension: str) -> str:
    # Derived from the photo id alone, so a second run writes the same keys.
    return f"renditions/{photo_id}/{name}.{extension}"


def photo_process(*, photo_id: uuid.UUID | str) -> str:
    """Make a photo's renditions, mark it ready and delete the raw upload.

    Idempotent: the row is locked for the whole run, so a redelivered task
    waits and then finds the work done. Returns the resulting status. Raises
    RetryableStorageError when storage fails; a photo that cannot be decoded
    is marked failed here, since retrying cannot change its bytes.
    """
    # The lock is held while storage is read and written (a second or two):
    # a duplicate delivery of this task waits here rather than racing.
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            # Deleted since it was queued (e.g. its request was erased).
            logger.info("photo processing skipped, photo gone photo=%s", photo_id)
            return "gone"
        if photo.status == ProcessingStatus.PENDING:
            _render_and_store(photo)
    if photo.status == ProcessingStatus.READY and photo.original_deleted_at is None:
        # After the commit: if the commit had failed we would still need it.
        _original_delete(photo)
    return photo.status


def _render_and_store(photo: Photo) -> None:
    storage = private_storage()
    try:
        with storage.open(photo.original_key, "rb") as stored:
            data = io.BytesIO(stored.read())
    except FileNotFoundError:
        _mark_failed(photo, "The uploaded file is missing from storage.")
        return
    except STORAGE_ERRORS as error:
        raise RetryableStorageError(type(error).__name__) from error

    try:
        rendered = render_photo(data, max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS)
    except PhotoUndecodable as error:
        _mark_failed(photo, str(error))
        return
    finally:
        data.close()

    written: list[str] = []
    try:
        for image in rendered:
            key = rendition_key(photo_id=photo.id, name=image.name, extension=image.extension)
            _overwrite(storage, key, image.content)
            written.append(key)
    except STORAGE_ERRORS as error:
        # The transaction rolls back; do not leave objects no row points to.
        photo_objects_delete(written)
        raise RetryableStorageError(type(error).__name__) from error

    Rendition.objects.filter(photo=photo).delete()
    Rendition.objects.bulk_create(
        Rendition(
            photo=photo,
            name=image.name,
            key=key,
            content_type=image.content_type,
            size=len(image.content),
            width=image.width,
            height=image.height,
        )
        for image, key in zip(rendered, written, strict=True)
    )
    photo.status = ProcessingStatus.READY
    photo.failure_reason = ""
    photo.processed_at = timezone.now()
    photo.brightness = rendered.quality.brightness
    photo.sharpness = rendered.quality.sharpness
    photo.quality_hints = rendered.quality.hints
    photo.save(
        update_fields=[
            "status",
            "failure_reason",
            "processed_at",
            "brightness",
            "sharpness",
            "quality_hints",
        ]
    )
    logger.info("photo processed photo=%s renditions=%d", photo.id, len(written))


def _overwrite(storage, key: str, content: bytes) -> None:
    """Write ``key`` exactly, replacing what an interrupted earlier run left there.

    The private storage never overwrites (it would pick another name), so the
    stale object is removed first; the row lock keeps this free of races.
    """
    if storage.exists(key):
        storage.delete(key)
    saved = storage.save(key, ContentFile(content))
    if saved != key:
        raise OSError("storage stored the rendition under another key")


def _original_delete(photo: Photo) -> None:
    try:
        private_storage().delete(photo.original_key)
    except STORAGE_ERRORS as error:
        raise RetryableStorageError(type(error).__name__) from error
    Photo.objects.filter(pk=photo.pk, original_deleted_at__isnull=True).update(
        original_deleted_at=timezone.now()
    )
    logger.info("photo upload deleted after processing photo=%s", photo.id)


def _mark_failed(photo: Photo, reason: str) -> None:
    photo.status = ProcessingStatus.FAILED
    photo.failure_reason = reason[:300]
    photo.processed_at = timezone.now()
    photo.save(update_fields=["status", "failure_reason", "processed_at"])
    logger.warning("photo processing failed photo=%s reason=%s", photo.id, reason)


def photo_mark_failed(*, photo_id: uuid.UUID | str, reason: str) -> bool:
    """Give up on a photo that is still pending; returns whether it was marked."""
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None or photo.status != ProcessingStatus.PENDING:
            return False
        _mark_failed(photo, reason)
    return True


def photo_process_on_commit(*, photo_id: uuid.UUID) -> None:
    """Queue processing once the photo's row is committed (and never if it is not)."""
    from .tasks import photo_process_task

    # A broker outage must not turn a stored request into an error page: the
    # photo stays visibly "processing" and the requeue sweep publishes it.
    transaction.on_commit(lambda: task_publish(photo_process_task, (str(photo_id),)))


def photo_download_name(*, photo: Photo, rendition: Rendition) -> str:
    """E.g. CR-7K4M-Q2XP-photo-2-display.jpg: reference, position, rendition."""
    position = list(photo.consultation.photos.values_list("pk", flat=True)).index(photo.pk) + 1
    extension = rendition.key.rsplit(".", 1)[-1]
    return f"{photo.consultation.reference}-photo-{position}-{rendition.name}.{extension}"


def photos_requeue_pending(*, older_than: datetime.timedelta) -> int:
    """Queue again every photo still pending after ``older_than``; returns how many.

    The queueing after commit can be lost (broker down at that moment, a
    message dropped); this sweep makes sure no photo waits forever. Safe to
    run at any time: processing a photo that is already done changes nothing.
    """
    from .tasks import photo_process_task

    cutoff = timezone.now() - older_than
    ids = list(
        Photo.objects.filter(status=ProcessingStatus.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for photo_id in ids:
        photo_process_task.delay(str(photo_id))
    if ids:
        logger.warning("re-queued photos still pending count=%d", len(ids))
    return len(ids)


def photo_reprocess(*, photo_id: uuid.UUID) -> bool:
    """Try a failed photo again (e.g. after a storage outage); returns whether it was queued.

    Only while its upload still exists: a photo fails before the upload is
    deleted, so this is the normal case.
    """
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None or photo.status != ProcessingStatus.FAILED:
            return False
        if photo.original_deleted_at is not None:
            return False
        photo.status = ProcessingStatus.PENDING
        photo.failure_reason = ""
        photo.processed_at = None
        photo.save(update_fields=["status", "failure_reason", "processed_at"])
        photo_process_on_commit(photo_id=photo.id)
    logger.info("photo queued for processing again photo=%s", photo_id)
    return True
