"""A case moved along the workflow in one line per step, for tests about what
the staff pages show at each point rather than about the steps themselves."""

from consultations import case_changes
from tests.factories import ConsultationRequestFactory


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
