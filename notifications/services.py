"""The outbox: record notifications, deliver them, sweep up stragglers.

Delivery semantics: at least once, with a lease. Sending one row goes:

1. claim, in a short transaction: lock the row (``select_for_update`` with
   ``skip_locked``), and only if it is due (pending and its retry time has
   come, or sending with an expired lease) mark it ``sending`` with
   ``claimed_until = now + PORTAL_NOTIFY_CLAIM_SECONDS`` and count the attempt;
2. send, outside any transaction, as the last thing before
3. recording the outcome: ``sent``; or ``pending`` again with an exponential
   back-off; or ``failed`` once attempts run out (or the error says retrying
   cannot help); or ``cancelled`` when there is no recipient any more.

A second delivery of the same row (a duplicate task, a redelivered message,
two workers racing) finds it locked or not due and does nothing. A worker
that dies mid-delivery leaves the row ``sending``; nobody touches it until its
lease expires, then the sweep publishes it again and it is sent. The lease
is longer than any send can take (EMAIL_TIMEOUT, the webhook timeout, the
task time limit), so a slow but live worker is never doubled.

The one window where a message can go out twice is a crash after the mail
server accepted it and before step 3 committed (milliseconds). We prefer a
rare duplicate "new request" email to a lost one; at-most-once would instead
strand such rows. Task arguments are row ids only: nothing about the patient
ever enters the broker.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.publish import task_publish
from consultations.access import StaffRole, users_with_role
from consultations.models import ConsultationRequest

from .channels import RecipientGone, TransportError, transport_for
from .models import Channel, Notification, NotificationStatus, RecipientKind

logger = logging.getLogger(__name__)


# --- Recipients ------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    kind: str
    user_id: int | None = None
    address: str = ""

    @classmethod
    def patient(cls) -> "Recipient":
        return cls(kind=RecipientKind.PATIENT)

    @classmethod
    def user(cls, user: AbstractBaseUser) -> "Recipient":
        return cls(kind=RecipientKind.USER, user_id=user.pk)

    @classmethod
    def email_address(cls, address: str) -> "Recipient":
        return cls(kind=RecipientKind.ADDRESS, address=address)

    @classmethod
    def staff_webhook(cls) -> "Recipient":
        return cls(kind=RecipientKind.STAFF_WEBHOOK)


def coordinator_recipients() -> list[Recipient]:
    """Every active coordinator with an email address, plus the clinic's inbox if set."""
    users = users_with_role(StaffRole.COORDINATOR).exclude(email="").distinct().order_by("pk")
    recipients = [Recipient.user(user) for user in users]
    clinic = settings.PORTAL_CLINIC_NOTIFY_EMAIL
    if clinic and clinic.lower() not in {user.email.lower() for user in users}:
        recipients.append(Recipient.email_address(clinic))
    return recipients


# --- Recording -------------------------------------------------------------------


def notification_enqueue(
    *,
    consultation: ConsultationRequest,
    event: str,
    recipients: Iterable[Recipient],
    channel: str = Channel.EMAIL,
) -> list[Notification]:
    """Write one row per recipient, in the caller's transaction; send after commit.

    If the caller's transaction rolls back, the rows go with it and nothing is
    sent. If the broker is down at commit, the rows stay pending for the sweep.
    """
    rows = Notification.objects.bulk_create(
        Notification(
            consultation=consultation,
            event=event,
            channel=channel,
            recipient_kind=recipient.kind,
            recipient_user_id=recipient.user_id,
            recipient_address=recipient.address,
        )
        for recipient in recipients
    )
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(partial(notifications_publish, notification_ids=ids))
        logger.info(
            "notifications recorded ref=%s event=%s channel=%s ids=%s",
            consultation.reference,
            event,
            channel,
            ids,
        )
    return rows


def notifications_publish(*, notification_ids: list[int], countdown: float | None = None) -> int:
    """Hand rows to Celery; never raises. Returns how many were published.

    A broker outage must not fail the change that caused the notification
    (it is committed already): the rows stay pending and the sweep publishes
    them later.
    """
    from .tasks import notification_deliver_task

    published = 0
    for notification_id in notification_ids:
        if not task_publish(notification_deliver_task, (notification_id,), countdown=countdown):
            logger.warning(
                "notification publish failed, left for the sweep ids=%s",
                notification_ids[published:],
            )
            break
        published += 1
    return published


# --- Delivery ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # "skipped" or the row's new NotificationStatus
    retry_in: float | None = None


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the given number of failed attempts (1, 2, ...)."""
    delay = settings.PORTAL_NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return float(min(delay, settings.PORTAL_NOTIFY_RETRY_MAX_SECONDS))


def _due(now: datetime.datetime) -> Q:
    return Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_until__lt=now
    )


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk=notification_id)
            .first()
        )
        if row is None:
            return None
        if row.attempts >= settings.PORTAL_NOTIFY_MAX_ATTEMPTS:
            # Its last attempt never finished (the worker died): give up visibly.
            row.status = NotificationStatus.FAILED
            row.claimed_until = None
            row.last_error = (row.last_error or "last attempt did not finish")[:300]
            row.save(update_fields=["status", "claimed_until", "last_error", "updated_at"])
            logger.error("notification failed id=%s attempts=%s", row.pk, row.attempts)
            return None
        row.status = NotificationStatus.SENDING
        row.attempts += 1
        row.claimed_until = now + datetime.timedelta(seconds=settings.PORTAL_NOTIFY_CLAIM_SECONDS)
        row.save(update_fields=["status", "attempts", "claimed_until", "updated_at"])
    return row


def _finish(row: Notification, **fields) -> None:
    fields["claimed_until"] = None
    fields["updated_at"] = timezone.now()
    Notification.objects.filter(pk=row.pk).update(**fields)


def notification_deliver(*, notification_id: int) -> DeliveryResult:
    """Send one notification if it is due; safe to call any number of times."""
    row = _claim(notification_id)
    if row is None:
        logger.info("notification not due or taken, skipped id=%s", notification_id)
        return DeliveryResult(status="skipped")
    row = Notification.objects.select_related("consultation", "recipient_user").get(pk=row.pk)
    ref = row.consultation.reference
    try:
        transport_for(row.channel).send(row)
    except RecipientGone as gone:
        _finish(row, status=NotificationStatus.CANCELLED, last_error=str(gone)[:300])
        logger.info("notification cancelled id=%s ref=%s: %s", row.pk, ref, gone)
        return DeliveryResult(status=NotificationStatus.CANCELLED)
    except Exception as error:
        if isinstance(error, TransportError):
            message, retryable = error.message, error.retryable
        else:
            # Type only: an unexpected error's text may quote an address.
            message, retryable = type(error).__name__, True
        if retryable and row.attempts < settings.PORTAL_NOTIFY_MAX_ATTEMPTS:
            delay = retry_delay(row.attempts)
            _finish(
                row,
                status=NotificationStatus.PENDING,
                last_error=message[:300],
                next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
            )
            logger.warning(
                "notification send failed id=%s ref=%s attempt=%s error=%s retry_in=%ss",
                row.pk,
                ref,
                row.attempts,
                message,
                delay,
            )
            return DeliveryResult(status=NotificationStatus.PENDING, retry_in=delay)
        _finish(row, status=NotificationStatus.FAILED, last_error=message[:300])
        logger.error(
            "notification failed id=%s ref=%s attempts=%s error=%s",
            row.pk,
            ref,
            row.attempts,
            message,
        )
        return DeliveryResult(status=NotificationStatus.FAILED)
    _finish(row, status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="")
    logger.info("notification sent id=%s ref=%s event=%s", row.pk, ref, row.event)
    return DeliveryResult(status=NotificationStatus.SENT)


# --- Sweep and manual retry -------------------------------------------------------


def notifications_sweep(*, limit: int = 500) -> list[int]:
    """Publish rows that should have been sent by now: pending rows due for a
    while (their task was never published, or got lost) and rows whose
    sender's lease expired (the worker died). Run by Celery beat."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.PORTAL_NOTIFY_SWEEP_AFTER_SECONDS)
    ids = list(
        Notification.objects.filter(
            Q(status=NotificationStatus.PENDING, next_attempt_at__lte=stale)
            | Q(status=NotificationStatus.SENDING, claimed_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        published = notifications_publish(notification_ids=ids)
        logger.info("notification sweep published=%s of ids=%s", published, ids)
    return ids


def notifications_retry(*, notification_ids: Iterable[int]) -> int:
    """Give failed rows a fresh set of attempts now (admin's "retry now")."""
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(notification_ids), status=NotificationStatus.FAILED)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if ids:
            transaction.on_commit(partial(notifications_publish, notification_ids=ids))
    logger.info("notifications retried ids=%s", ids)
    return len(ids)
