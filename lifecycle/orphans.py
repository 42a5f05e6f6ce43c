"""The storage report: objects no row needs, and rows whose object is missing.

Both directions from one listing of the private storage (uploads.reconcile).
Objects no row needs are removed by the hourly reconciliation once older than
PORTAL_STORAGE_ORPHAN_AFTER_SECONDS, or here on request; a row whose object
is missing is only reported, since what to do (mark the photo failed, ask the
patient again) is a person's call.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from uploads.held import held_expiry_cutoff
from uploads.models import HeldUpload, Photo, Rendition
from uploads.reconcile import (
    StoredObject,
    storage_objects,
    storage_objects_delete,
    storage_objects_unreferenced,
)


@dataclass(frozen=True)
class StorageReport:
    listed: int
    unreferenced: list[StoredObject]
    # "what (id): key" for each row whose object storage does not have.
    missing: list[str]
    deleted: int = 0


def orphan_grace() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PORTAL_STORAGE_ORPHAN_AFTER_SECONDS)


def _rows_expecting_objects(before: datetime.datetime) -> list[tuple[str, str]]:
    """(label, key) of every object a row says exists, for rows written before ``before``."""
    renditions = Rendition.objects.filter(created_at__lt=before).values_list(
        "photo_id", "name", "key"
    )
    originals = Photo.objects.filter(
        created_at__lt=before, original_deleted_at__isnull=True
    ).values_list("pk", "original_key")
    held = HeldUpload.objects.filter(
        created_at__lt=before, created_at__gte=held_expiry_cutoff()
    ).values_list("pk", "original_key")
    return [
        *((f"{name} of photo {pk}", key) for pk, name, key in renditions),
        *((f"upload of photo {pk}", key) for pk, key in originals),
        *((f"held upload {pk}", key) for pk, key in held),
    ]


def storage_report(*, delete: bool = False) -> StorageReport:
    """List the storage once and compare it with the rows; ``delete`` removes the
    unreferenced objects older than the grace period."""
    # Rows written while the storage is being listed may have objects it missed.
    started = timezone.now()
    listed = list(storage_objects())
    keys = {item.key for item in listed}
    unreferenced = storage_objects_unreferenced(older_than=orphan_grace(), listed=listed)
    missing = [
        f"{label}: {key}" for label, key in _rows_expecting_objects(started) if key not in keys
    ]
    deleted = storage_objects_delete([item.key for item in unreferenced]) if delete else 0
    return StorageReport(len(listed), unreferenced, missing, deleted)
