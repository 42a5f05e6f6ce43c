"""Reads for pages (staff dashboard, admin)."""

from .models import Notification, NotificationStatus

# Both need someone to look: failed ones were never delivered; uncertain ones
# may have been (staff check with the recipient before sending again).
NEEDS_A_LOOK = [NotificationStatus.FAILED, NotificationStatus.UNCERTAIN]


def notifications_failed_count() -> int:
    """Failed or maybe-sent notifications (shown on staff pages)."""
    return Notification.objects.filter(status__in=NEEDS_A_LOOK).count()
