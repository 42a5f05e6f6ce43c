"""Reads for pages (staff dashboard, the case page, admin)."""

import datetime
from dataclasses import dataclass

from consultations.models import ConsultationRequest

from .models import Event, Notification, NotificationStatus, RecipientKind

# Both need someone to look: failed ones were never delivered; uncertain ones
# may have been (staff check with the recipient before sending again).
NEEDS_A_LOOK = [NotificationStatus.FAILED, NotificationStatus.UNCERTAIN]


def notifications_failed_count() -> int:
    """Failed or maybe-sent notifications (shown on staff pages)."""
    return Notification.objects.filter(status__in=NEEDS_A_LOOK).count()


# --- The messages a case's patient was sent, for the staff case page ------------

# What staff read for each row's status: whether it reached the provider, not
# the delivery plumbing (a row being sent still counts as pending).
OUTCOMES: dict[str, tuple[str, str]] = {
    NotificationStatus.PENDING: ("pending", "Pending"),
    NotificationStatus.SENDING: ("pending", "Pending"),
    NotificationStatus.SENT: ("sent", "Sent"),
    NotificationStatus.FAILED: ("failed", "Failed"),
    NotificationStatus.UNCERTAIN: ("uncertain", "Maybe sent"),
    NotificationStatus.CANCELLED: ("cancelled", "Not sent"),
}
# The provider's report, once there is one, says more than "sent" (or "maybe
# sent": a report proves the provider took it).
REPORTED = {
    "delivered": ("delivered", "Delivered"),
    "read": ("delivered", "Delivered"),
    "undelivered": ("failed", "Not delivered"),
    "failed": ("failed", "Not delivered"),
}
PATIENT_EVENTS: dict[str, str] = {
    Event.REQUEST_CONFIRMATION: "Request received",
    Event.MORE_INFO_REQUESTED: "More information needed",
}


@dataclass(frozen=True)
class PatientMessage:
    """One message to the patient as staff see it: never its content, address or number."""

    what: str
    channel: str
    when: datetime.datetime
    outcome: str  # a key for the page's badge
    outcome_label: str


def _outcome(row: Notification) -> tuple[str, str]:
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
                    "Email, as the text did not reach them"
                    if row.fallback_for_id
                    else row.get_channel_display()
                ),
                when=row.sent_at or row.created_at,
                outcome=outcome,
                outcome_label=label,
            )
        )
    return messages
