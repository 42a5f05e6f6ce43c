"""What the patient reads on their status page, in plain language.

Internal states are folded into what matters to the patient; nothing here
mentions notes, staff names or the reasoning behind a decision. The texts
are lazy: they are read in the language of the page that shows them.
"""

from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import ConsultationRequest, Outcome, Status


@dataclass(frozen=True)
class PatientStatus:
    # Lazy translations (Promise): read in the language of the page showing them.
    headline: str | Promise
    explanation: str | Promise
    # What is still to come, in order; empty once nothing more will happen.
    next_steps: tuple[str | Promise, ...] = ()


_CONTACT_YOU = _(
    "We contact you by your preferred method with a recommendation and, if you wish, "
    "a consultation appointment."
)
_SURGEON_REVIEWS = _("If it helps, a surgeon reviews your photos and history.")

PATIENT_STATUSES = {
    Status.SUBMITTED: PatientStatus(
        _("Received"),
        _(
            "Your request and photos have reached the clinic. A coordinator will look at it, "
            "usually within two working days."
        ),
        (
            _("A coordinator checks your request and photos."),
            _SURGEON_REVIEWS,
            _CONTACT_YOU,
        ),
    ),
    Status.IN_TRIAGE: PatientStatus(
        _("Being reviewed by our coordinator"),
        _("A coordinator is reading your request and preparing it for a surgeon."),
        (_SURGEON_REVIEWS, _CONTACT_YOU),
    ),
    Status.AWAITING_PATIENT: PatientStatus(
        _("We need a little more from you"),
        _(
            "The clinic has asked for more information. Please read the question below and "
            "answer on this page."
        ),
        (
            _("You answer the clinic's question on this page."),
            _("A coordinator reads your answer and continues with your request."),
            _CONTACT_YOU,
        ),
    ),
    Status.ROUTED: PatientStatus(
        _("With a surgeon"),
        _("A surgeon is reviewing your photos and history."),
        (_("The surgeon records a recommendation."), _CONTACT_YOU),
    ),
    Status.REVIEWED: PatientStatus(
        _("Review complete"),
        _("The surgeon has reviewed your request."),
        (
            _(
                "A coordinator contacts you by your preferred method to discuss the surgeon's "
                "recommendation and, if you wish, a consultation appointment."
            ),
        ),
    ),
    Status.SPAM: PatientStatus(
        _("Closed"),
        _(
            "This request is closed and will not be reviewed. If you sent it and still need "
            "help, contact the clinic and quote your reference."
        ),
    ),
    Status.DUPLICATE: PatientStatus(
        _("Closed: we already have your request"),
        _(
            "This request repeats another one you sent; the clinic is handling that one, so "
            "there is nothing more to do here."
        ),
    ),
}

# Keyed by the stored outcome (a str; Outcome members are equal to theirs).
CLOSED_OUTCOMES: dict[str, PatientStatus] = {
    Outcome.CONSULTATION_BOOKED: PatientStatus(
        _("Closed: your consultation is booked"),
        _(
            "The clinic has booked a consultation with you and has sent, or will send, the "
            "details by your preferred method. If you cannot find them, contact the clinic."
        ),
    ),
    Outcome.DECLINED_BY_CLINIC: PatientStatus(
        _("Closed: the clinic cannot offer a consultation"),
        _(
            "After looking at your request, the clinic has decided not to offer a "
            "consultation for it. If you have questions, contact the clinic and quote your "
            "reference."
        ),
    ),
    Outcome.DECLINED_BY_PATIENT: PatientStatus(
        _("Closed at your request"),
        _(
            "You told us you do not want to go ahead, so we have closed this request. You are "
            "welcome to send a new request at any time."
        ),
    ),
    Outcome.NO_RESPONSE: PatientStatus(
        _("Closed: we did not hear back from you"),
        _(
            "We tried to reach you but did not hear back, so we have closed this request. If "
            "you would still like a consultation, contact the clinic and quote your reference."
        ),
    ),
}
_CLOSED = PatientStatus(
    _("Closed"),
    _(
        "This request is closed. If you have questions, contact the clinic and quote your "
        "reference."
    ),
)


def patient_status(consultation: ConsultationRequest) -> PatientStatus:
    if consultation.status == Status.CLOSED:
        return CLOSED_OUTCOMES.get(consultation.outcome, _CLOSED)
    return PATIENT_STATUSES[Status(consultation.status)]


@dataclass(frozen=True)
class PhotoCounts:
    sent: int
    added: int


def photo_counts(consultation: ConsultationRequest) -> PhotoCounts:
    """Photos sent with the request, and those added later in answers.

    The clinic can only ask a question after the request (and its photos) was
    saved, so a photo is an addition if it arrived after the first question.
    """
    first_asked = consultation.information_requests.aggregate(first=Min("asked_at"))["first"]
    if first_asked is None:
        return PhotoCounts(sent=consultation.photos.count(), added=0)
    counts = consultation.photos.aggregate(
        sent=Count("pk", filter=Q(created_at__lt=first_asked)),
        added=Count("pk", filter=Q(created_at__gte=first_asked)),
    )
    return PhotoCounts(**counts)
