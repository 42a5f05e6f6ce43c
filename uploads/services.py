import logging
import uuid

from django.core.files import File

from .models import Photo
from .storage import private_storage
from .validation import PhotoFacts

logger = logging.getLogger(__name__)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heif": "heic"}


def photo_store(*, request, upload: File, facts: PhotoFacts, written_keys: list[str]) -> Photo:
    """Write one accepted upload to private storage under a random key and record it.

    The stored key is appended to ``written_keys`` before the row is saved, so
    the caller can delete the object if anything later in its transaction fails.
    """
    photo_id = uuid.uuid4()
    upload.seek(0)
    key = private_storage().save(f"originals/{photo_id}.{EXTENSIONS[facts.content_type]}", upload)
    written_keys.append(key)
    return Photo.objects.create(
        id=photo_id,
        request=request,
        original_key=key,
        content_type=facts.content_type,
        size=facts.size,
        width=facts.width,
        height=facts.height,
        sha256=facts.sha256,
    )


def photo_objects_delete(keys: list[str]) -> None:
    """Best-effort removal of objects whose rows were rolled back."""
    storage = private_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - cleanup must try every key
            logger.exception("could not delete orphaned private object key=%s", key)
