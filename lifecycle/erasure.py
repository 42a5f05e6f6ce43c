"""Erasing a request: every patient detail and stored object goes, a tombstone stays.

The one path for erasure (on a patient's request from the staff page, by the
retention job). In one transaction it blanks the request's patient fields,
deletes its concerns, treatments, questions and answers, notes, reviews,
photos and renditions, and the uploads still held for its form, blanks the
notes in its timeline, cancels notifications not yet sent, and writes an
``ErasureRecord``. What stays: the reference, dates, statuses and outcome,
the timeline without notes, the access log (no foreign key, untouched) and
the erasure record. Stored objects are deleted after the commit through the
``ObjectDeletion`` outbox, retried until storage confirms.
"""

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from consultations.models import (
    ConsultationRequest,
    InformationRequest,
    InternalNote,
    PriorTreatment,
    RequestConcern,
    StatusChange,
    SurgeonReview,
)
from notifications.models import Notification, NotificationStatus
from uploads.models import HeldUpload, Photo

from .models import ErasureRecord
from .objects import objects_delete_after_commit

logger = logging.getLogger(__name__)

# Every field a patient typed or chose, and its blank value.
PATIENT_FIELDS = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "preferred_contact": "",
    "date_of_birth": None,
    "country": "",
    "region": "",
    "symptoms": "",
    "goals": "",
}

# What the patient and staff wrote about the case: no row of these survives.
CASE_RECORDS = (
    RequestConcern,
    PriorTreatment,
    InformationRequest,
    InternalNote,
    SurgeonReview,
)


class AlreadyErased(Exception):
    pass


def photo_keys(photo: Photo) -> list[str]:
    """Every key a photo may have in storage, its renditions' directory last.

    The directory matters on the local disk only (an empty directory named
    after the photo would outlive it); on S3 deleting a missing key is a no-op.
    """
    keys = [photo.original_key, *(rendition.key for rendition in photo.renditions.all())]
    return [*keys, f"renditions/{photo.pk}"]


def consultation_erase(*, consultation_id: int, by: User | None, reason: str) -> ErasureRecord:
    with transaction.atomic():
        case = ConsultationRequest.objects.select_for_update().get(pk=consultation_id)
        if case.erased_at is not None:
            raise AlreadyErased(case.reference)
        # Locked: a photo being processed finishes (and its renditions are
        # seen here) before it is erased; one queued later finds it gone.
        photos = list(
            Photo.objects.select_for_update()
            .filter(consultation=case)
            .prefetch_related("renditions")
        )
        held = list(HeldUpload.objects.filter(submission_key=case.submission_key))
        keys = [key for photo in photos for key in photo_keys(photo)]
        keys += [upload.original_key for upload in held]

        for model in CASE_RECORDS:
            model.objects.filter(consultation=case).delete()
        StatusChange.objects.filter(consultation=case).exclude(note="").update(note="")
        Notification.objects.filter(consultation=case, status=NotificationStatus.PENDING).update(
            status=NotificationStatus.CANCELLED,
            last_error="request erased",
            updated_at=timezone.now(),
        )
        Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
        HeldUpload.objects.filter(pk__in=[upload.pk for upload in held]).delete()

        for field, blank in PATIENT_FIELDS.items():
            setattr(case, field, blank)
        case.erased_at = timezone.now()
        case.version += 1
        case.save()

        erasure = ErasureRecord.objects.create(
            consultation=case,
            reference=case.reference,
            erased_by=by,
            erased_at=case.erased_at,
            reason=reason[:300],
            photos=len(photos),
            objects_queued=len(keys),
        )
        objects_delete_after_commit(keys)
    logger.info(
        "request erased ref=%s by user=%s photos=%d objects=%d",
        case.reference,
        getattr(by, "pk", "retention"),
        len(photos),
        len(keys),
    )
    return erasure
