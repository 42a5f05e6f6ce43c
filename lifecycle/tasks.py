"""Thin Celery tasks: the services do the work."""

from celery import shared_task

from .objects import object_deletions_run
from .retention import retention_apply


@shared_task(name="lifecycle.object_deletions_run", acks_late=True, reject_on_worker_lost=True)
def object_deletions_task() -> dict[str, int]:
    return object_deletions_run()


@shared_task(name="lifecycle.retention_apply", acks_late=True, reject_on_worker_lost=True)
def retention_apply_task() -> int:
    """Daily (Celery beat): erase what the retention periods say has been kept long enough."""
    return len(retention_apply())
