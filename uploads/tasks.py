"""Thin Celery wrappers: ids in, service functions do the work."""

import datetime
import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .held import held_uploads_expire
from .reconcile import storage_reconcile
from .services import (
    RetryableStorageError,
    photo_mark_failed,
    photo_process,
    photos_requeue_pending,
)

logger = logging.getLogger(__name__)


# A lost connection or a failover: the next attempt may well succeed.
DATABASE_ERRORS = (OperationalError, InterfaceError)


class PhotoProcessTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """The last attempt failed: say so on the photo, where staff will see it."""
        photo_id = args[0] if args else kwargs.get("photo_id")
        attempts = self.request.retries + 1
        if isinstance(exc, RetryableStorageError):
            reason = f"Storage was unavailable ({exc}); gave up after {attempts} attempts."
        elif isinstance(exc, DATABASE_ERRORS):
            reason = f"The database was unavailable; gave up after {attempts} attempts."
        else:
            reason = f"Processing stopped on an unexpected error ({type(exc).__name__})."
        try:
            photo_mark_failed(photo_id=photo_id, reason=reason)
        except Exception:
            # Logged, not raised: Celery reports the original failure anyway.
            logger.exception("could not mark photo failed photo=%s", photo_id)


@shared_task(
    bind=True,
    base=PhotoProcessTask,
    name="uploads.photo_process",
    # Redelivered if the worker dies mid-way; the row lock makes a rerun safe.
    acks_late=True,
    reject_on_worker_lost=True,
    # Only errors of storage or database are retried; an undecodable photo is
    # marked failed by the service and any other error goes to on_failure.
    autoretry_for=(RetryableStorageError, *DATABASE_ERRORS),
    max_retries=settings.PORTAL_PHOTO_MAX_RETRIES,
    retry_backoff=settings.PORTAL_PHOTO_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.PORTAL_PHOTO_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
)
def photo_process_task(self, photo_id: str) -> str:
    return photo_process(photo_id=photo_id)


@shared_task(name="uploads.photos_requeue_pending")
def photos_requeue_pending_task() -> int:
    """Periodic sweep (Celery beat): queue photos whose processing was never queued or lost."""
    return photos_requeue_pending(
        older_than=datetime.timedelta(seconds=settings.PORTAL_PHOTO_REQUEUE_AFTER_SECONDS)
    )


@shared_task(name="uploads.storage_reconcile")
def storage_reconcile_task() -> dict[str, int]:
    """Periodic sweep (Celery beat): delete private objects no row needs."""
    return storage_reconcile(
        older_than=datetime.timedelta(seconds=settings.PORTAL_STORAGE_ORPHAN_AFTER_SECONDS)
    )


@shared_task(name="uploads.held_uploads_expire")
def held_uploads_expire_task() -> int:
    """Periodic sweep (Celery beat): delete photos held for forms never sent."""
    return held_uploads_expire()
