"""Who hears of what. Call these inside the transaction that made the change.

Each event is a few lines: pick the recipients, record a notification per
channel. The rows are sent after commit (see services.py). A new event needs
an ``Event`` choice (models.py, plus a migration), its three templates in
``templates/emails/<event>-subject.txt``, ``-body.txt``, ``-body.html``, and a
function here.
"""

import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from consultations.models import ConsultationRequest

from .models import Channel, Event, Notification, NotificationStatus, RecipientKind
from .services import Recipient, coordinator_recipients, notification_enqueue


def _to_staff(consultation: ConsultationRequest, event: str) -> list[Notification]:
    rows = notification_enqueue(
        consultation=consultation, event=event, recipients=coordinator_recipients()
    )
    if settings.PORTAL_STAFF_WEBHOOK_URL:
        rows += notification_enqueue(
            consultation=consultation,
            event=event,
            recipients=[Recipient.staff_webhook()],
            channel=Channel.WEBHOOK,
        )
    return rows


def notify_request_submitted(consultation: ConsultationRequest) -> list[Notification]:
    """A new request: coordinators, the clinic inbox, the staff chat, and the
    patient's confirmation with the reference and private status link."""
    rows = _to_staff(consultation, Event.REQUEST_SUBMITTED)
    if (
        _confirmations_today(consultation.email)
        >= settings.PORTAL_CONFIRMATIONS_PER_ADDRESS_PER_DAY
    ):
        return [*rows, _held_back_confirmation(consultation)]
    rows += notification_enqueue(
        consultation=consultation,
        event=Event.REQUEST_CONFIRMATION,
        recipients=[Recipient.patient()],
    )
    return rows


HELD_BACK = "Held back: this address had its daily number of confirmations already."


def _confirmations_today(email: str) -> int:
    """Confirmations recorded for this patient address (any case) in 24 hours."""
    return (
        Notification.objects.filter(
            event=Event.REQUEST_CONFIRMATION,
            recipient_kind=RecipientKind.PATIENT,
            consultation__email__iexact=email,
            created_at__gte=timezone.now() - datetime.timedelta(days=1),
        )
        .exclude(last_error=HELD_BACK)
        .count()
    )


def _held_back_confirmation(consultation: ConsultationRequest) -> Notification:
    """Recorded, never sent: staff see it cancelled, with the reason."""
    return Notification.objects.create(
        consultation=consultation,
        event=Event.REQUEST_CONFIRMATION,
        channel=Channel.EMAIL,
        recipient_kind=RecipientKind.PATIENT,
        status=NotificationStatus.CANCELLED,
        last_error=HELD_BACK,
    )


def notify_more_info_requested(consultation: ConsultationRequest) -> list[Notification]:
    """The coordinator asked the patient for more: the patient hears of it."""
    return notification_enqueue(
        consultation=consultation,
        event=Event.MORE_INFO_REQUESTED,
        recipients=[Recipient.patient()],
    )


def notify_patient_replied(consultation: ConsultationRequest) -> list[Notification]:
    """The patient added information: the coordinators hear of it."""
    return _to_staff(consultation, Event.PATIENT_REPLIED)


def notify_case_routed(
    consultation: ConsultationRequest, surgeon: AbstractBaseUser
) -> list[Notification]:
    """The case was routed to a surgeon: that surgeon hears of it."""
    return notification_enqueue(
        consultation=consultation,
        event=Event.CASE_ROUTED,
        recipients=[Recipient.user(surgeon)],
    )


def notify_review_recorded(consultation: ConsultationRequest) -> list[Notification]:
    """The surgeon recorded a review: the coordinators hear of it."""
    return _to_staff(consultation, Event.REVIEW_RECORDED)
