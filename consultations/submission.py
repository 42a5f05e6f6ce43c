"""The patient's submission: a new request with its concerns, treatments and photos.

Every later change to the case is in ``case_changes.py``.
"""

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from notifications.events import notify_request_submitted
from uploads.held import held_uploads_claim
from uploads.models import HeldUpload
from uploads.services import AcceptedPhoto, photos_stored_all_or_nothing

from .models import ConsultationRequest, PriorTreatment, RequestConcern, new_reference

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TreatmentEntry:
    kind: str
    approximate_date: datetime.date | None
    other_description: str = ""


class SubmissionFailed(Exception):
    """Nothing was stored; the patient should try again."""


def _unused_reference() -> str:
    while True:
        reference = new_reference()
        if not ConsultationRequest.objects.filter(reference=reference).exists():
            return reference


def consultation_submit(
    *,
    submission_key: uuid.UUID,
    first_name: str,
    last_name: str,
    email: str,
    phone: PhoneNumber | str,
    preferred_contact: str,
    date_of_birth: datetime.date,
    country: str,
    region: str,
    symptoms: str,
    goals: str,
    concerns: list[str],
    treatments: list[TreatmentEntry],
    photos: list[AcceptedPhoto],
    held: Sequence[HeldUpload] = (),
    language: str = "en",
) -> ConsultationRequest:
    """Store a patient's request and photos, all or nothing.

    Submitting the same form twice (double click, reload) returns the request
    the first submission created. If any photo cannot be written, no row
    remains and the objects already written are deleted. ``held`` are photos
    kept from earlier posts of the form: they become the request's photos in
    the same transaction, or stay held if it fails. ``language`` is the one
    the patient read the form in: every later message to them uses it.
    """
    existing = ConsultationRequest.objects.filter(submission_key=submission_key).first()
    if existing:
        return existing

    consented_at = timezone.now()
    try:
        with photos_stored_all_or_nothing() as store_photos, transaction.atomic():
            consultation = ConsultationRequest.objects.create(
                reference=_unused_reference(),
                submission_key=submission_key,
                privacy_notice_version=settings.PORTAL_PRIVACY_NOTICE_VERSION,
                consent_privacy_at=consented_at,
                consent_photos_at=consented_at,
                consent_contact_at=consented_at,
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
                preferred_contact=preferred_contact,
                date_of_birth=date_of_birth,
                country=country,
                region=region,
                symptoms=symptoms,
                goals=goals,
                language=language,
            )
            RequestConcern.objects.bulk_create(
                RequestConcern(consultation=consultation, area=area) for area in concerns
            )
            PriorTreatment.objects.bulk_create(
                PriorTreatment(
                    consultation=consultation,
                    kind=entry.kind,
                    approximate_date=entry.approximate_date,
                    other_description=entry.other_description,
                )
                for entry in treatments
            )
            store_photos(consultation=consultation, photos=photos)
            held_uploads_claim(consultation=consultation, held=held)
            notify_request_submitted(consultation)
    except IntegrityError:
        # A concurrent twin of this submission committed first: answer with it.
        twin = ConsultationRequest.objects.filter(submission_key=submission_key).first()
        if twin:
            return twin
        raise
    except Exception as error:
        # The type only: database errors can quote the values that failed.
        logger.error("consultation submission failed, nothing stored: %s", type(error).__name__)
        raise SubmissionFailed from error

    logger.info(
        "consultation submitted ref=%s id=%s photos=%d",
        consultation.reference,
        consultation.pk,
        len(photos) + len(held),
    )
    return consultation
