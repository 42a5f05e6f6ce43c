"""A case moved along the workflow in one line per step, for tests about what
the staff pages show at each point rather than about the steps themselves."""

from consultations import case_changes
from consultations.models import Status
from tests.factories import ConsultationRequestFactory


def in_triage(*, by, case=None):
    case = case or ConsultationRequestFactory()
    return case_changes.consultation_start_triage(consultation=case, by=by, version=case.version)


def asked(*, by, case=None, question: str = "Please send a photo in daylight."):
    """The coordinator asks the patient, starting triage first if nobody has."""
    case = case or ConsultationRequestFactory()
    if case.status == Status.SUBMITTED:
        case = in_triage(by=by, case=case)
    return case_changes.consultation_request_info(
        consultation=case, by=by, question=question, version=case.version
    )


def routed(*, by, surgeon, case=None):
    case = case or ConsultationRequestFactory()
    return case_changes.consultation_route(
        consultation=case, by=by, surgeon=surgeon, note="", version=case.version
    )


def answered(*, by, answer: str, case=None):
    """The coordinator asks, the patient answers (text only)."""
    case = case or ConsultationRequestFactory()
    case = case_changes.consultation_request_info(
        consultation=case, by=by, question="?", version=case.version
    )
    return case_changes.consultation_patient_reply(
        consultation=case,
        question_id=case.information_requests.get().pk,
        answer=answer,
        photos=[],
    )


def reviewed(*, case, surgeon, assessment: str = "Seen."):
    return case_changes.consultation_record_review(
        consultation=case,
        by=surgeon,
        recommendation="in_person_needed",
        assessment=assessment,
        version=case.version,
    )
