"""What the patient reads on their status page, in plain language.

Internal states are folded into what matters to the patient; nothing here
mentions notes, staff names or the reasoning behind a decision.
"""

from dataclasses import dataclass

from .models import Status


@dataclass(frozen=True)
class PatientStatus:
    headline: str
    explanation: str


PATIENT_STATUSES = {
    Status.SUBMITTED: PatientStatus(
        "Received",
        "Your request and photos have reached the clinic. A coordinator will look at it, "
        "usually within two working days.",
    ),
    Status.IN_TRIAGE: PatientStatus(
        "Being reviewed by our coordinator",
        "A coordinator is reading your request and preparing it for a surgeon.",
    ),
    Status.AWAITING_PATIENT: PatientStatus(
        "We need a little more from you",
        "The clinic has asked for more information. Please read the request below and reply "
        "on this page.",
    ),
    Status.ROUTED: PatientStatus(
        "With a surgeon",
        "A surgeon is reviewing your photos and history.",
    ),
    Status.REVIEWED: PatientStatus(
        "Review complete",
        "The surgeon has reviewed your request. A coordinator will contact you by your "
        "preferred method to discuss the next step.",
    ),
    Status.CLOSED: PatientStatus(
        "Closed",
        "This request is closed. If you have questions, contact the clinic and quote your "
        "reference.",
    ),
    Status.SPAM: PatientStatus(
        "Closed",
        "This request is closed. If you have questions, contact the clinic and quote your "
        "reference.",
    ),
    Status.DUPLICATE: PatientStatus(
        "Closed: we already have your request",
        "This request repeats another one you sent; the clinic is handling that one.",
    ),
}


def patient_status(status: str) -> PatientStatus:
    return PATIENT_STATUSES[Status(status)]
