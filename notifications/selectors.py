"""Reads for pages (staff dashboard, admin)."""

from .models import Notification, NotificationStatus


def notifications_failed_count() -> int:
    """Notifications that gave up and need someone to look (shown on staff pages)."""
    return Notification.objects.filter(status=NotificationStatus.FAILED).count()
