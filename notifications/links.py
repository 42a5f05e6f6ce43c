"""Absolute links put into notifications."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from consultations.models import ConsultationRequest
from consultations.status_links import status_url


def staff_case_url(reference: str) -> str:
    """The staff page of a case; the one place that knows its address."""
    try:
        path = reverse("staff:case_detail", kwargs={"reference": reference})
    except NoReverseMatch:  # the staff pages are not built yet
        path = f"/staff/cases/{reference}/"
    return settings.PORTAL_SITE_URL + path


def patient_status_url(consultation: ConsultationRequest) -> str:
    return status_url(consultation)
