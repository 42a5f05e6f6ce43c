"""Thin Celery tasks: ids in, services do the work."""

from celery import shared_task

from .services import notification_deliver, notifications_publish, notifications_sweep


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notification_deliver_task(notification_id: int) -> None:
    result = notification_deliver(notification_id=notification_id)
    if result.retry_in is not None:
        # If this publish fails, the sweep publishes the row once it is due.
        notifications_publish(notification_ids=[notification_id], countdown=result.retry_in)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notification_sweep_task() -> None:
    notifications_sweep()
