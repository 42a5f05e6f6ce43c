"""The patient's private status link: a signed, unguessable token in the URL.

The token signs the request's random ``status_key`` (never its database id or
reference), so it reveals nothing and cannot be forged without SECRET_KEY.
"""

import datetime
import uuid

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from .models import ConsultationRequest, Status

_SALT = "consultations.status-link"


def status_token(consultation: ConsultationRequest) -> str:
    return signing.Signer(salt=_SALT).sign(consultation.status_key.hex)


def consultation_for_token(token: str) -> ConsultationRequest | None:
    try:
        status_key = uuid.UUID(hex=signing.Signer(salt=_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return ConsultationRequest.objects.filter(status_key=status_key).first()


def status_path(consultation: ConsultationRequest) -> str:
    return reverse("consultations:status", kwargs={"token": status_token(consultation)})


def status_language_path(consultation: ConsultationRequest) -> str:
    """Where the status page's language switch posts (views.status_language)."""
    return reverse("consultations:status_language", kwargs={"token": status_token(consultation)})


def status_url(consultation: ConsultationRequest) -> str:
    """Absolute link for emails, built from the configured site URL."""
    return settings.PORTAL_SITE_URL + status_path(consultation)


def status_link_ended(consultation: ConsultationRequest) -> bool:
    """Whether the link shows only "closed, contact the clinic": at once after an
    erasure, and PORTAL_STATUS_LINK_DAYS_AFTER_CLOSE days after the case closed."""
    if consultation.erased_at is not None:
        return True
    if consultation.status != Status.CLOSED:
        return False
    closed_at = consultation.status_changes.filter(to_status=Status.CLOSED).aggregate(
        at=Max("created_at")
    )["at"]
    ends = datetime.timedelta(days=settings.PORTAL_STATUS_LINK_DAYS_AFTER_CLOSE)
    return closed_at is not None and closed_at + ends <= timezone.now()
