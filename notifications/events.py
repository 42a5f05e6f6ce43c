"""Who hears of what. Call these inside the transaction that made the change.

Each event is a few lines: pick the recipients, record a notification per
channel. The rows are sent after commit (see services.py). A new event needs
an ``Event`` choice (models.py, plus a migration), its three templates in
``templates/emails/<event>-subject.txt``, ``-body.txt``, ``-body.html`` (and
``templates/sms/<event>.txt`` if it goes to the patient), and a function here.
"""

import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from consultations.models import ConsultationRequest, ContactMethod

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


def patient_channels(consultation: ConsultationRequest) -> list[str]:
    """How the patient hears from the clinic: email, and a text message too if
    they chose texts and the clinic sends them. Email to a patient who chose
    texts only goes if the clinic keeps it on (with texts off it always goes,
    so nobody is left without their reference and link)."""
    if consultation.preferred_contact != ContactMethod.SMS or settings.PORTAL_SMS_BACKEND == "off":
        return [Channel.EMAIL]
    if settings.PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT:
        return [Channel.EMAIL, Channel.SMS]
    return [Channel.SMS]


def _to_patient(consultation: ConsultationRequest, event: str) -> list[Notification]:
    rows: list[Notification] = []
    for channel in patient_channels(consultation):
        rows += notification_enqueue(
            consultation=consultation,
            event=event,
            recipients=[Recipient.patient()],
            channel=channel,
        )
    return rows


def notify_request_submitted(consultation: ConsultationRequest) -> list[Notification]:
    """A new request: coordinators, the clinic inbox, the staff chat, and the
    patient's confirmation with the reference and private status link."""
    rows = _to_staff(consultation, Event.REQUEST_SUBMITTED)
    for channel in patient_channels(consultation):
        if (
            _confirmations_today(consultation, channel)
            >= settings.PORTAL_CONFIRMATIONS_PER_ADDRESS_PER_DAY
        ):
            rows.append(_held_back_confirmation(consultation, channel))
            continue
        rows += notification_enqueue(
            consultation=consultation,
            event=Event.REQUEST_CONFIRMATION,
            recipients=[Recipient.patient()],
            channel=channel,
        )
    return rows


HELD_BACK = "Held back: this address had its daily number of confirmations already."
HELD_BACK_SMS = "Held back: this number had its daily number of confirmations already."


def _confirmations_today(consultation: ConsultationRequest, channel: str) -> int:
    """Confirmations recorded for this patient address or number (any case) in
    24 hours, on that channel: nobody can use the form to flood a stranger's
    inbox or phone."""
    same_patient = (
        {"consultation__phone": consultation.phone}
        if channel == Channel.SMS
        else {"consultation__email__iexact": consultation.email}
    )
    return (
        Notification.objects.filter(
            event=Event.REQUEST_CONFIRMATION,
            recipient_kind=RecipientKind.PATIENT,
            channel=channel,
            created_at__gte=timezone.now() - datetime.timedelta(days=1),
            **same_patient,
        )
        .exclude(last_error__in=[HELD_BACK, HELD_BACK_SMS])
        .count()
    )


def _held_back_confirmation(consultation: ConsultationRequest, channel: str) -> Notification:
    """Recorded, never sent: staff see it cancelled, with the reason."""
    return Notification.objects.create(
        consultation=consultation,
        event=Event.REQUEST_CONFIRMATION,
        channel=channel,
        recipient_kind=RecipientKind.PATIENT,
        status=NotificationStatus.CANCELLED,
        last_error=HELD_BACK_SMS if channel == Channel.SMS else HELD_BACK,
    )


def notify_more_info_requested(consultation: ConsultationRequest) -> list[Notification]:
    """The coordinator asked the patient for more: the patient hears of it."""
    return _to_patient(consultation, Event.MORE_INFO_REQUESTED)


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
