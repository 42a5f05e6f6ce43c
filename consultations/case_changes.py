"""Every change staff (or the patient, through the status link) make to a case.

Each function is one transaction; the status changes only through
``_transition``, which locks the row, checks the version the person saw, checks
the transition table and writes the timeline entry.
"""

import logging
from collections.abc import Sequence
from dataclasses import replace

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.events import (
    notify_case_routed,
    notify_more_info_requested,
    notify_patient_replied,
    notify_review_recorded,
)
from uploads.held import held_uploads_claim
from uploads.models import HeldUpload, PhotoAngle
from uploads.services import AcceptedPhoto, photos_stored_all_or_nothing

from .access import StaffRole, case_role, users_with_role
from .models import (
    ConsultationRequest,
    InformationRequest,
    InternalNote,
    Status,
    StatusChange,
    SurgeonReview,
)
from .submission import SubmissionFailed
from .workflow import Action, Role, TransitionRefused, transition_check

logger = logging.getLogger(__name__)

STALE_MESSAGE = _(
    "Someone else changed this case while you had it open, so nothing was saved. "
    "The page now shows the latest version: check it and try again."
)


ERASED_MESSAGE = _("This case has been erased: nothing more can be added to it.")


def _lock_unerased(consultation: ConsultationRequest) -> ConsultationRequest:
    """Lock the case row; refuse one erased since the page was drawn (nothing may
    be written to a tombstone, see lifecycle/erasure.py)."""
    locked = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if locked.erased_at is not None:
        raise TransitionRefused(ERASED_MESSAGE)
    return locked


def _transition(
    *,
    consultation: ConsultationRequest,
    action: Action,
    by: User | None,
    expected_version: int | None,
    note: str = "",
    **changes,
) -> ConsultationRequest:
    """Must run inside a transaction; returns the locked, updated row."""
    locked = _lock_unerased(consultation)
    if expected_version is not None and locked.version != expected_version:
        raise TransitionRefused(STALE_MESSAGE)
    role = Role.PATIENT if by is None else case_role(by)
    transition = transition_check(action=action, status=locked.status, role=role)
    from_status = locked.status
    locked.status = transition.target
    locked.version += 1
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.save()
    StatusChange.objects.create(
        consultation=locked, actor=by, from_status=from_status, to_status=locked.status, note=note
    )
    logger.info(
        "case %s %s -> %s by user=%s",
        locked.reference,
        from_status,
        locked.status,
        getattr(by, "pk", "patient"),
    )
    return locked


def consultation_start_triage(
    *, consultation: ConsultationRequest, by: User, version: int
) -> ConsultationRequest:
    with transaction.atomic():
        return _transition(
            consultation=consultation,
            action=Action.START_TRIAGE,
            by=by,
            expected_version=version,
        )


def consultation_request_info(
    *, consultation: ConsultationRequest, by: User, question: str, version: int
) -> ConsultationRequest:
    with transaction.atomic():
        updated = _transition(
            consultation=consultation,
            action=Action.REQUEST_INFO,
            by=by,
            expected_version=version,
            note="More information requested from the patient.",
        )
        InformationRequest.objects.create(consultation=updated, asked_by=by, question=question)
        notify_more_info_requested(updated)
        return updated


def open_information_request(consultation: ConsultationRequest) -> InformationRequest | None:
    if consultation.status != Status.AWAITING_PATIENT:
        return None
    return consultation.information_requests.filter(answered_at__isnull=True).last()


def _reply_note(photo_count: int) -> str:
    if photo_count == 0:
        return "The patient replied without photos."
    return f"The patient replied with {photo_count} photo{pluralize(photo_count)}."


def consultation_patient_reply(
    *,
    consultation: ConsultationRequest,
    question_id: int,
    answer: str,
    photos: list[AcceptedPhoto],
    held: Sequence[HeldUpload] = (),
) -> ConsultationRequest:
    """The patient answers the question they were shown, with text and/or photos.

    A question takes one answer: sending the same reply again (double click,
    Back then Send) raises TransitionRefused and stores nothing.
    """
    try:
        with photos_stored_all_or_nothing() as store_photos, transaction.atomic():
            updated = _transition(
                consultation=consultation,
                action=Action.PATIENT_REPLY,
                by=None,
                expected_version=None,
                note=_reply_note(len(photos) + len(held)),
            )
            question = (
                updated.information_requests.select_for_update()
                .filter(pk=question_id, answered_at__isnull=True)
                .first()
            )
            if question is None:
                raise TransitionRefused(gettext("This question has already been answered."))
            question.answer = answer
            question.answered_at = timezone.now()
            question.save(update_fields=["answer", "answered_at"])
            store_photos(
                consultation=updated,
                photos=[replace(p, angle=PhotoAngle.ADDED_LATER) for p in photos],
            )
            held_uploads_claim(consultation=updated, held=held, angle=PhotoAngle.ADDED_LATER)
            notify_patient_replied(updated)
    except TransitionRefused:
        raise
    except Exception as error:
        logger.error("patient reply failed, nothing stored: %s", type(error).__name__)
        raise SubmissionFailed from error
    return updated


def active_surgeons() -> QuerySet[User]:
    return users_with_role(StaffRole.SURGEON).order_by("last_name", "first_name", "username")


def consultation_route(
    *, consultation: ConsultationRequest, by: User, surgeon: User, note: str, version: int
) -> ConsultationRequest:
    if not active_surgeons().filter(pk=surgeon.pk).exists():
        raise TransitionRefused(gettext("Cases can only be routed to an active surgeon."))
    with transaction.atomic():
        updated = _transition(
            consultation=consultation,
            action=Action.ROUTE,
            by=by,
            expected_version=version,
            note=note,
            surgeon=surgeon,
        )
        notify_case_routed(updated, surgeon)
        return updated


def consultation_record_review(
    *,
    consultation: ConsultationRequest,
    by: User,
    recommendation: str,
    assessment: str,
    version: int,
) -> ConsultationRequest:
    with transaction.atomic():
        if consultation.surgeon_id != by.pk:
            raise TransitionRefused(gettext("This case is routed to another surgeon."))
        updated = _transition(
            consultation=consultation,
            action=Action.RECORD_REVIEW,
            by=by,
            expected_version=version,
            note="Surgeon's review recorded.",
        )
        SurgeonReview.objects.create(
            consultation=updated, surgeon=by, recommendation=recommendation, assessment=assessment
        )
        notify_review_recorded(updated)
        return updated


def consultation_close(
    *, consultation: ConsultationRequest, by: User, outcome: str, note: str, version: int
) -> ConsultationRequest:
    with transaction.atomic():
        return _transition(
            consultation=consultation,
            action=Action.CLOSE,
            by=by,
            expected_version=version,
            note=note,
            outcome=outcome,
        )


def consultation_mark_spam(
    *, consultation: ConsultationRequest, by: User, note: str, version: int
) -> ConsultationRequest:
    with transaction.atomic():
        return _transition(
            consultation=consultation,
            action=Action.MARK_SPAM,
            by=by,
            expected_version=version,
            note=note,
        )


def consultation_mark_duplicate(
    *,
    consultation: ConsultationRequest,
    by: User,
    original_reference: str,
    note: str,
    version: int,
) -> ConsultationRequest:
    original = ConsultationRequest.objects.filter(reference=original_reference).first()
    if original is None or original.pk == consultation.pk:
        raise TransitionRefused(
            gettext(
                "“%(reference)s” is not another request's reference: "
                "enter the reference of the original request."
            )
            % {"reference": original_reference}
        )
    with transaction.atomic():
        return _transition(
            consultation=consultation,
            action=Action.MARK_DUPLICATE,
            by=by,
            expected_version=version,
            note=note or f"Duplicate of {original.reference}.",
            duplicate_of=original,
        )


def consultation_add_note(
    *, consultation: ConsultationRequest, by: User, body: str
) -> InternalNote:
    if case_role(by) not in (Role.COORDINATOR, Role.SURGEON):
        raise TransitionRefused(gettext("Only clinic staff can add internal notes."))
    with transaction.atomic():
        return InternalNote.objects.create(
            consultation=_lock_unerased(consultation), author=by, body=body
        )


def consultation_take(*, consultation: ConsultationRequest, by: User) -> None:
    """The coordinator makes the case theirs; taking one someone else has is a hand-over."""
    if case_role(by) != Role.COORDINATOR:
        raise TransitionRefused(gettext("Only a coordinator can take a case."))
    with transaction.atomic():
        locked = _lock_unerased(consultation)
        # update(): taking a case is not activity on it, so updated_at stays.
        ConsultationRequest.objects.filter(pk=locked.pk).update(taken_by=by)
    logger.info("case %s taken by user=%s", locked.reference, by.pk)
