"""Photos kept for a form that still needs correcting, so nobody chooses a photo twice.

A held upload is written to private storage like any photo (random key, no
file name) and recorded as a HeldUpload bound to the form's submission key
and to a random token in the browser's session: another browser that learns
the key cannot claim it. Sending the form turns held uploads into photos in
the same transaction as the request; the rest expire.
"""

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict

from django.conf import settings
from django.utils import timezone

from .models import HeldUpload, Photo
from .services import AcceptedPhoto, original_save, photo_objects_delete, photo_process_on_commit

logger = logging.getLogger(__name__)


def held_expiry_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=settings.PORTAL_HELD_PHOTO_HOURS)


def held_uploads(*, holder: str, submission_key: uuid.UUID) -> list[HeldUpload]:
    """The unexpired uploads this session holds for this form, oldest first."""
    return list(
        HeldUpload.objects.filter(
            holder=holder, submission_key=submission_key, created_at__gte=held_expiry_cutoff()
        )
    )


def upload_hold(*, holder: str, submission_key: uuid.UUID, photo: AcceptedPhoto) -> HeldUpload:
    """Write one accepted photo to private storage and hold it for the form."""
    held_id = uuid.uuid4()
    key = original_save(held_id, photo.upload, photo.facts)
    try:
        held = HeldUpload.objects.create(
            id=held_id,
            submission_key=submission_key,
            holder=holder,
            slot=photo.angle,
            name=photo.name[:100],
            original_key=key,
            **asdict(photo.facts),
        )
    except BaseException:
        photo_objects_delete([key])
        raise
    logger.info("photo held for a form held=%s", held_id)
    return held


def held_uploads_release(held: list[HeldUpload]) -> None:
    """Forget held uploads (removed or replaced by the patient): rows, then objects."""
    if not held:
        return
    HeldUpload.objects.filter(pk__in=[h.pk for h in held]).delete()
    photo_objects_delete([h.original_key for h in held])


def held_uploads_claim(
    *, consultation, held: Sequence[HeldUpload], angle: str | None = None
) -> int:
    """Turn held uploads into photos of ``consultation``, inside the caller's transaction.

    The rows are locked and must still exist: a held upload is claimed once.
    The stored object becomes the photo's upload as it is (no copy), so a
    rollback leaves both the held row and its object as they were. ``angle``
    overrides the slot (photos added later with a reply).
    """
    if not held:
        return 0
    locked = list(HeldUpload.objects.select_for_update().filter(pk__in=[h.pk for h in held]))
    if len(locked) != len(held):
        raise HeldUploadGone("a held upload was claimed or deleted meanwhile")
    for item in locked:
        photo = Photo.objects.create(
            id=uuid.uuid4(),
            consultation=consultation,
            angle=angle or item.slot,
            **item.stored_original(),
        )
        photo_process_on_commit(photo_id=photo.pk)
    HeldUpload.objects.filter(pk__in=[h.pk for h in locked]).delete()
    return len(locked)


class HeldUploadGone(Exception):
    """A held upload disappeared between showing the form and sending it."""


def held_uploads_expire() -> int:
    """Delete every held upload older than PORTAL_HELD_PHOTO_HOURS; returns how many.

    The row goes first: an object whose deletion fails is then unreferenced
    and the storage reconciliation removes it later.
    """
    expired = list(HeldUpload.objects.filter(created_at__lt=held_expiry_cutoff()))
    if not expired:
        return 0
    HeldUpload.objects.filter(pk__in=[h.pk for h in expired]).delete()
    photo_objects_delete([h.original_key for h in expired])
    logger.info("expired held uploads deleted count=%d", len(expired))
    return len(expired)
