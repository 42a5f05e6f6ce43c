"""A text that cannot reach the patient is followed by the same message by email.

A clinic may stop emailing patients who chose texts
(PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT=false). Then a text that fails for good
(the provider refused the number, the retries ran out, or the carrier
reported it undelivered) would leave the patient with no reference, no
private link and no question to answer. So it is followed, once, by the same
message by email: the email address is required on the form.
"""

import datetime
import logging

from django.db import transaction

from .models import Channel, Notification, RecipientKind
from .services import Recipient, notification_enqueue

logger = logging.getLogger(__name__)

# Rows written by one event for the patient's channels are written within the
# same transaction: an email this close to the text went alongside it.
_ALONGSIDE = datetime.timedelta(minutes=1)


def email_after_failed_text(text: Notification) -> Notification | None:
    """Queue the email for a patient's text that failed for good, unless one
    went alongside it or was queued for it already; returns the new row."""
    if text.channel != Channel.SMS or text.recipient_kind != RecipientKind.PATIENT:
        return None
    with transaction.atomic():
        # The text's row is locked so two reports about it cannot both queue one.
        Notification.objects.select_for_update().filter(pk=text.pk).first()
        if Notification.objects.filter(fallback_for=text.pk).exists() or _email_went_alongside(
            text
        ):
            return None
        (email,) = notification_enqueue(
            consultation=text.consultation,
            event=text.event,
            recipients=[Recipient.patient()],
            channel=Channel.EMAIL,
        )
        email.fallback_for = text
        email.save(update_fields=["fallback_for"])
    logger.info(
        "text failed, email queued instead ref=%s text=%s email=%s",
        text.consultation.reference,
        text.pk,
        email.pk,
    )
    return email


def _email_went_alongside(text: Notification) -> bool:
    return Notification.objects.filter(
        consultation_id=text.consultation_id,
        event=text.event,
        channel=Channel.EMAIL,
        recipient_kind=RecipientKind.PATIENT,
        fallback_for__isnull=True,
        created_at__range=(text.created_at - _ALONGSIDE, text.created_at + _ALONGSIDE),
    ).exists()
