"""Retention: requests kept past their period are erased, through the erasure service.

A period runs from the day a request reached its status (the latest timeline
entry into it), not from when it was sent: a case closed yesterday after a
year of work is kept for the whole period after closing.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from consultations.models import ConsultationRequest, Status

from .erasure import AlreadyErased, consultation_erase

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    consultation_id: int
    reference: str
    status: str
    since: datetime.datetime
    days: int

    @property
    def reason(self) -> str:
        return f"Retention: {Status(self.status).label.lower()} for more than {self.days} days"


def retention_periods() -> dict[str, int]:
    """Days each status is kept for, from settings."""
    return {
        Status.SPAM: settings.PORTAL_RETENTION_SPAM_DAYS,
        Status.DUPLICATE: settings.PORTAL_RETENTION_DUPLICATE_DAYS,
        Status.CLOSED: settings.PORTAL_RETENTION_CLOSED_DAYS,
    }


def retention_due(*, now: datetime.datetime | None = None) -> list[Due]:
    """Requests not yet erased whose status has lasted longer than its period, oldest first."""
    now = now or timezone.now()
    due = []
    for status, days in retention_periods().items():
        rows = (
            ConsultationRequest.objects.filter(status=status, erased_at__isnull=True)
            .annotate(
                since=Max("status_changes__created_at", filter=Q(status_changes__to_status=status))
            )
            .filter(since__lt=now - datetime.timedelta(days=days))
            .values_list("pk", "reference", "since")
        )
        due += [Due(pk, reference, status, since, days) for pk, reference, since in rows]
    return sorted(due, key=lambda item: item.since)


def retention_apply() -> list[Due]:
    """Erase every request due; returns those erased."""
    erased = []
    for item in retention_due():
        try:
            consultation_erase(consultation_id=item.consultation_id, by=None, reason=item.reason)
        except AlreadyErased:
            # Erased by staff since the listing: nothing left to do.
            continue
        erased.append(item)
    if erased:
        logger.info("retention erased requests count=%d", len(erased))
    return erased
