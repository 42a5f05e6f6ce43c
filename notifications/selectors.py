"""Reads for pages (staff dashboard, the case page, admin)."""

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consultations.models import ConsultationRequest

from .models import Event, Notification, NotificationStatus, RecipientKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Both need someone to look: failed ones were never delivered; uncertain ones
# may have been (staff check with the recipient before sending again).
NEEDS_A_LOOK = [NotificationStatus.FAILED, NotificationStatus.UNCERTAIN]


def notifications_failed_count() -> int:
    """Failed or maybe-sent notifications (shown on staff pages)."""
    return Notification.objects.filter(status__in=NEEDS_A_LOOK).count()


# --- The messages a case's patient was sent, for the staff case page ------------

# What staff read for each row's status: whether it reached the provider, not
# the delivery plumbing (a row being sent still counts as pending).
OUTCOMES: dict[str, tuple[str, "StrOrPromise"]] = {
    NotificationStatus.PENDING: ("pending", _("Pending")),
    NotificationStatus.SENDING: ("pending", _("Pending")),
    NotificationStatus.SENT: ("sent", _("Sent")),
    NotificationStatus.FAILED: ("failed", _("Failed")),
    NotificationStatus.UNCERTAIN: ("uncertain", _("Maybe sent")),
    NotificationStatus.CANCELLED: ("cancelled", _("Not sent")),
}
# The provider's report, once there is one, says more than "sent" (or "maybe
# sent": a report proves the provider took it).
REPORTED: dict[str, tuple[str, "StrOrPromise"]] = {
    "delivered": ("delivered", _("Delivered")),
    "read": ("delivered", _("Delivered")),
    "undelivered": ("failed", _("Not delivered")),
    "failed": ("failed", _("Not delivered")),
}
PATIENT_EVENTS: dict[str, "StrOrPromise"] = {
    Event.REQUEST_CONFIRMATION: _("Request received"),
    Event.MORE_INFO_REQUESTED: _("More information needed"),
}


@dataclass(frozen=True)
class PatientMessage:
    """One message to the patient as staff see it: never its content, address or number."""

    what: "StrOrPromise"
    channel: str
    when: datetime.datetime
    outcome: str  # a key for the page's badge
    outcome_label: "StrOrPromise"


def _outcome(row: Notification) -> tuple[str, "StrOrPromise"]:
    reported = row.status in (NotificationStatus.SENT, NotificationStatus.UNCERTAIN)
    if reported and row.provider_status in REPORTED:
        return REPORTED[row.provider_status]
    return OUTCOMES[row.status]


def patient_messages(consultation: ConsultationRequest) -> list[PatientMessage]:
    """Every message recorded for the case's patient, oldest first, in one query."""
    rows = consultation.notifications.filter(recipient_kind=RecipientKind.PATIENT).order_by(
        "created_at", "pk"
    )
    messages = []
    for row in rows:
        outcome, label = _outcome(row)
        messages.append(
            PatientMessage(
                what=PATIENT_EVENTS.get(row.event, row.get_event_display()),
                channel=(
                    gettext("Email, as the text did not reach them")
                    if row.fallback_for_id
                    else row.get_channel_display()
                ),
                when=row.sent_at or row.created_at,
                outcome=outcome,
                outcome_label=label,
            )
        )
    return messages
