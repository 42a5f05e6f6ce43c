"""Absolute links put into notifications."""

from django.conf import settings
from django.urls import reverse


def staff_case_url(reference: str) -> str:
    """The staff page of a case (sign-in required)."""
    return settings.PORTAL_SITE_URL + reverse("staff:case_detail", kwargs={"reference": reference})


def sms_status_callback_url(notification_id: int) -> str:
    """Where Twilio reports a text's delivery (notifications/views.py)."""
    return settings.PORTAL_SITE_URL + reverse(
        "notifications:sms_status", kwargs={"notification_id": notification_id}
    )
