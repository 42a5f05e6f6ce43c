"""Absolute links put into notifications."""

from django.conf import settings
from django.urls import reverse


def staff_case_url(reference: str) -> str:
    """The staff page of a case (sign-in required)."""
    return settings.PORTAL_SITE_URL + reverse("staff:case_detail", kwargs={"reference": reference})
