"""The outbox: record notifications, deliver them, sweep up stragglers.

Delivery semantics: at least once while nothing can have gone out, at most
once as soon as something may have. Sending one row goes:

1. claim, in a short transaction: lock the row (``select_for_update`` with
   ``skip_locked``), and only if it is due (pending and its retry time has
   come, or sending with an expired lease and never handed over) mark it
   ``sending`` with ``claimed_until = now + PORTAL_NOTIFY_CLAIM_SECONDS`` and
   count the attempt;
2. prepare outside any transaction (render, connect, log in), then commit
   ``handed_over_at`` and hand the message over;
3. record the outcome: ``sent``; or ``pending`` again with an exponential
   back-off when the error proves nothing went (refused connection, a 4xx
   reply); ``failed`` once attempts run out or the error says retrying cannot
   help; ``uncertain`` when the message was handed over and no answer came
   (a timeout after DATA); ``cancelled`` when there is no recipient any more.
   This update is retried on a fresh database connection before giving up.

A second delivery of the same row (a duplicate task, a redelivered message,
two workers racing) finds it locked or not due and does nothing. A worker
that dies before the hand-over leaves the row ``sending``; after its lease
the sweep publishes it again and it is sent. A worker that dies (or loses
the database) after the hand-over leaves ``handed_over_at`` set: the sweep
marks the row ``uncertain`` instead, because its message may be in an inbox.
Uncertain rows are never re-sent by themselves: staff see them beside the
failed ones and decide (the admin's "send again" warns it may duplicate).
The lease is longer than any send can take (EMAIL_TIMEOUT, the webhook
timeout, the task time limit), so a slow but live worker is never doubled.
Task arguments are row ids only: nothing about the patient ever enters the
broker.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone, translation

from common.publish import task_publish
from consultations.access import StaffRole, users_with_role
from consultations.models import ConsultationRequest

from .content import notification_language
from .models import Channel, Notification, NotificationStatus, RecipientKind
from .transports import RecipientGone, TransportError, transport_for

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
        status=NotificationStatus.SENDING, claimed_until__lt=now, handed_over_at__isnull=True
    )


def _lost_after_hand_over(now: datetime.datetime) -> Q:
    """Rows whose worker handed the message over and never recorded the answer."""
    return Q(status=NotificationStatus.SENDING, claimed_until__lt=now, handed_over_at__isnull=False)


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
        row.handed_over_at = None
        # A new attempt is a new message at the provider: forget the last one's id and report.
        row.provider_message_id = row.provider_status = ""
        row.provider_status_at = None
        row.save(
            update_fields=[
                "status",
                "attempts",
                "claimed_until",
                "handed_over_at",
                "provider_message_id",
                "provider_status",
                "provider_status_at",
                "updated_at",
            ]
        )
    return row


def _update_on_a_live_connection(notification_id: int, **fields) -> None:
    """Write outside any transaction, once more on a fresh connection if the
    database connection was lost (a failover, a restarted server, a killed
    backend). If that fails too the row keeps its lease and the sweep settles it."""
    for last_try in (False, True):
        try:
            Notification.objects.filter(pk=notification_id).update(**fields)
            return
        except (OperationalError, InterfaceError):
            if last_try:
                raise
            logger.warning(
                "notification update lost its connection, retrying id=%s", notification_id
            )
            # Drops the broken connection; the next query opens a new one.
            close_old_connections()


def _finish(row: Notification, **fields) -> None:
    fields["claimed_until"] = None
    fields["updated_at"] = timezone.now()
    _update_on_a_live_connection(row.pk, **fields)


def notification_deliver(*, notification_id: int) -> DeliveryResult:
    """Send one notification if it is due; safe to call any number of times."""
    row = _claim(notification_id)
    if row is None:
        logger.info("notification not due or taken, skipped id=%s", notification_id)
        return DeliveryResult(status="skipped")
    row = Notification.objects.select_related("consultation", "recipient_user").get(pk=row.pk)
    ref = row.consultation.reference
    handed_over = False

    def hand_over() -> None:
        nonlocal handed_over
        _update_on_a_live_connection(row.pk, handed_over_at=timezone.now())
        handed_over = True

    try:
        # Every channel renders inside this: the patient's messages in the
        # language of their request, whichever language this worker was in.
        with translation.override(notification_language(row)):
            provider_message_id = transport_for(row.channel).send(row, hand_over)
    except RecipientGone as gone:
        _finish(row, status=NotificationStatus.CANCELLED, last_error=str(gone)[:300])
        logger.info("notification cancelled id=%s ref=%s: %s", row.pk, ref, gone)
        return DeliveryResult(status=NotificationStatus.CANCELLED)
    except TransportError as error:
        if error.uncertain:
            return _maybe_sent(row, ref, error.message)
        return _failed(row, ref, error.message, retryable=error.retryable)
    except Exception as error:
        # Type only: an unexpected error's text may quote an address.
        if handed_over:
            # A backend we do not know failed after taking the message.
            return _maybe_sent(row, ref, f"{type(error).__name__} after hand-over")
        return _failed(row, ref, type(error).__name__, retryable=True)
    _finish(
        row,
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
        provider_message_id=provider_message_id or "",
    )
    logger.info("notification sent id=%s ref=%s event=%s", row.pk, ref, row.event)
    return DeliveryResult(status=NotificationStatus.SENT)


def _maybe_sent(row: Notification, ref: str, message: str) -> DeliveryResult:
    """Handed over with no answer: never re-sent by itself, staff decide."""
    _finish(row, status=NotificationStatus.UNCERTAIN, last_error=message[:300])
    logger.error("notification maybe sent, not retried id=%s ref=%s error=%s", row.pk, ref, message)
    return DeliveryResult(status=NotificationStatus.UNCERTAIN)


def _failed(row: Notification, ref: str, message: str, *, retryable: bool) -> DeliveryResult:
    """A send that certainly delivered nothing: retry later, or give up."""
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
        "notification failed id=%s ref=%s attempts=%s error=%s", row.pk, ref, row.attempts, message
    )
    # Imported here: the fallback queues its email through this module.
    from .fallback import email_after_failed_text

    email_after_failed_text(row)
    return DeliveryResult(status=NotificationStatus.FAILED)


# --- Sweep and manual retry -------------------------------------------------------


def notifications_sweep(*, limit: int = 500) -> list[int]:
    """Publish rows that should have been sent by now: pending rows due for a
    while (their task was never published, or got lost) and rows whose
    sender's lease expired before it handed the message over (the worker
    died). Rows whose lease expired after the hand-over may have been
    delivered: they become uncertain, never re-sent. Run by Celery beat."""
    now = timezone.now()
    lost = Notification.objects.filter(_lost_after_hand_over(now)).update(
        status=NotificationStatus.UNCERTAIN,
        claimed_until=None,
        last_error="no answer recorded after hand-over",
        updated_at=now,
    )
    if lost:
        logger.error("notification sweep: %s maybe sent, marked uncertain", lost)
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


def notifications_retry(
    *, notification_ids: Iterable[int], statuses: Iterable[str] = (NotificationStatus.FAILED,)
) -> int:
    """Give failed rows a fresh set of attempts now (admin's "retry now").

    Uncertain rows only when asked for by name: their message may already be
    in the inbox, and sending again may duplicate it (the admin says so)."""
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(notification_ids), status__in=list(statuses))
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
