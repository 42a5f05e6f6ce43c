"""One reconciliation of the private storage against the photo rows.

Finds every object under the portal's prefixes that no row needs and deletes
it: raw uploads whose request never committed (storage failed mid-way and the
best-effort cleanup failed too), uploads held for a form past their expiry,
raw uploads of photos already processed (a
worker lost between the "ready" commit and the deletion), and renditions or
anything else whose photo row is gone. Objects younger than the threshold are
never touched: they may belong to a request still being written.

Erasure (lifecycle/erasure.py) deletes the objects of the rows it removes
itself, through an outbox retried until storage confirms; this sweep is the
net under everything else. The storage report (lifecycle/orphans.py) reuses
one listing for both directions. Logs carry keys only: random UUIDs.
"""

import datetime
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone

from .held import held_expiry_cutoff
from .models import HeldUpload, Photo, ProcessingStatus
from .services import STORAGE_ERRORS
from .storage import is_s3, private_storage

logger = logging.getLogger(__name__)

# Everything the portal writes to the private storage lives under these.
PREFIXES = ("originals/", "renditions/")


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified: datetime.datetime


def storage_objects(storage=None) -> Iterator[StoredObject]:
    """Every object under the portal's prefixes, with when it was last written."""
    storage = storage or private_storage()
    if is_s3(storage):
        yield from _s3_objects(storage)
    else:
        for prefix in PREFIXES:
            yield from _listed_objects(storage, prefix.rstrip("/"))


def _s3_objects(storage) -> Iterator[StoredObject]:
    # One paginated listing (1,000 keys a page) gives each object's date too;
    # listdir would need a HEAD per object.
    location = f"{storage.location.strip('/')}/" if storage.location else ""
    for prefix in PREFIXES:
        for summary in storage.bucket.objects.filter(Prefix=location + prefix):
            yield StoredObject(key=summary.key[len(location) :], modified=summary.last_modified)


def _listed_objects(storage, directory: str) -> Iterator[StoredObject]:
    if not storage.exists(directory):
        return
    directories, files = storage.listdir(directory)
    for name in files:
        key = f"{directory}/{name}"
        yield StoredObject(key=key, modified=storage.get_modified_time(key))
    for name in directories:
        yield from _listed_objects(storage, f"{directory}/{name}")


def storage_objects_unreferenced(
    *, older_than: datetime.timedelta, storage=None, listed: list[StoredObject] | None = None
) -> list[StoredObject]:
    """Objects older than ``older_than`` that no row needs.

    Needed: the raw upload of a photo not yet ready (pending photos are still
    to be processed, failed ones may be processed again), an upload held for
    a form until it expires (PORTAL_HELD_PHOTO_HOURS) and anything under
    ``renditions/<id>/`` of a photo that exists. The rows are read after the
    listing, so a row committed while the storage was being listed still counts.
    ``listed``: a listing the caller has made already (and made just now).
    """
    cutoff = timezone.now() - older_than
    listing = storage_objects(storage) if listed is None else listed
    old = [item for item in listing if item.modified < cutoff]
    if not old:
        return []
    needed_originals = set(
        Photo.objects.exclude(status=ProcessingStatus.READY).values_list("original_key", flat=True)
    ) | set(
        HeldUpload.objects.filter(created_at__gte=held_expiry_cutoff()).values_list(
            "original_key", flat=True
        )
    )
    photo_ids = {str(pk) for pk in Photo.objects.values_list("pk", flat=True)}
    return [
        item
        for item in old
        if item.key not in needed_originals and _rendition_photo_id(item.key) not in photo_ids
    ]


def _rendition_photo_id(key: str) -> str | None:
    """The photo id in ``renditions/<id>/<name>.<ext>``, or None for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "renditions":
        return None
    try:
        return str(uuid.UUID(parts[1]))
    except ValueError:
        return None


def storage_objects_delete(keys: list[str], *, storage=None) -> int:
    """Delete the given objects; returns how many went. A key that fails is
    logged and left for the next run."""
    storage = storage or private_storage()
    deleted = []
    for key in keys:
        try:
            storage.delete(key)
        except STORAGE_ERRORS:
            logger.exception("could not delete unreferenced private object key=%s", key)
            continue
        deleted.append(key)
        logger.info("deleted unreferenced private object key=%s", key)
    # The raw upload of a ready photo is gone now: record it, as processing would.
    Photo.objects.filter(original_key__in=deleted, original_deleted_at__isnull=True).update(
        original_deleted_at=timezone.now()
    )
    return len(deleted)


def storage_reconcile(*, older_than: datetime.timedelta) -> dict[str, int]:
    """Find and delete every unreferenced object older than ``older_than``."""
    unreferenced = storage_objects_unreferenced(older_than=older_than)
    deleted = storage_objects_delete([item.key for item in unreferenced])
    counts = {"unreferenced": len(unreferenced), "deleted": deleted}
    if unreferenced:
        logger.warning("storage reconciled unreferenced=%d deleted=%d", *counts.values())
    return counts
