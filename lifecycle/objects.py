"""Deleting private-storage objects after the rows that pointed at them are gone.

``objects_delete_after_commit`` records the keys in the caller's transaction
and asks for a run once it commits; ``object_deletions_run`` deletes what is
due, one locked row at a time, and backs off on a failure. Celery beat runs it
too, so a lost task or a storage outage only delays a deletion, never drops it.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from common.publish import task_publish
from uploads.services import STORAGE_ERRORS
from uploads.storage import private_storage

from .models import ObjectDeletion

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 60 * 60


def objects_delete_after_commit(keys: list[str]) -> None:
    """Must run inside the transaction that removed the keys' rows."""
    if not keys:
        return
    # A key queued twice (erased again after a failed run) is deleted once.
    ObjectDeletion.objects.bulk_create(
        [ObjectDeletion(key=key) for key in keys], ignore_conflicts=True
    )
    from .tasks import object_deletions_task

    transaction.on_commit(lambda: task_publish(object_deletions_task, ()))


def retry_delay(attempts: int) -> datetime.timedelta:
    seconds = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


def object_deletions_run(*, limit: int = 1000) -> dict[str, int]:
    """Delete every due object; returns how many went and how many failed."""
    due = list(
        ObjectDeletion.objects.filter(next_attempt_at__lte=timezone.now()).values_list(
            "pk", flat=True
        )[:limit]
    )
    counts = {"deleted": 0, "failed": 0}
    storage = private_storage()
    for pk in due:
        with transaction.atomic():
            # Another run holding this row deletes it; skipping it is enough.
            row = ObjectDeletion.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None:
                continue
            try:
                storage.delete(row.key)
            except STORAGE_ERRORS as error:
                row.attempts += 1
                row.last_error = type(error).__name__
                row.next_attempt_at = timezone.now() + retry_delay(row.attempts)
                row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.warning(
                    "object deletion failed key=%s attempt=%d error=%s",
                    row.key,
                    row.attempts,
                    row.last_error,
                )
                counts["failed"] += 1
                continue
            row.delete()
            counts["deleted"] += 1
    if due:
        logger.info("object deletions run deleted=%d failed=%d", *counts.values())
    return counts
