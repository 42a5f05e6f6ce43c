"""What a queue row says beyond the case's own fields: how long it has waited,
whether that is too long, and what is new to the person looking."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from .models import ConsultationRequest, Status
from .working_days import working_days_between

# The statuses in which the clinic, not the patient, has the next move.
WAITING_ON_CLINIC = frozenset({Status.SUBMITTED, Status.IN_TRIAGE, Status.ROUTED, Status.REVIEWED})


@dataclass(frozen=True)
class QueueRow:
    case: ConsultationRequest
    working_days: int
    overdue: bool
    news: tuple[str, ...]


def _is_new(event, looked) -> bool:
    return event is not None and (looked is None or event > looked)


def queue_rows(cases) -> list[QueueRow]:
    """Rows for cases from ``selectors.queue_page`` (which annotates the dates used here)."""
    today = timezone.localdate()
    threshold = settings.PORTAL_QUEUE_OVERDUE_WORKING_DAYS
    rows = []
    for case in cases:
        days = working_days_between(timezone.localdate(case.created_at), today)
        news = []
        if _is_new(case.last_answered_at, case.last_looked_at):
            news.append(gettext("Patient answered"))
        if _is_new(case.last_reviewed_at, case.last_looked_at):
            news.append(gettext("Review recorded"))
        rows.append(
            QueueRow(
                case=case,
                working_days=days,
                overdue=case.status in WAITING_ON_CLINIC and days > threshold,
                news=tuple(news),
            )
        )
    return rows
