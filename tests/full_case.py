"""A case that has been through everything: the patient's answers, photos, a question and
its answer, a note, a review, and an upload still held for its form."""

import io

from django.core.files.base import ContentFile

from consultations import case_changes
from consultations.models import PriorTreatment, RequestConcern
from tests.factories import ConsultationRequestFactory
from tests.images import fixture_bytes, image_bytes
from tests.photos import stored_photo
from uploads.held import upload_hold
from uploads.services import AcceptedPhoto, photo_process
from uploads.validation import inspect_photo

PATIENT = {
    "first_name": "Wilhelmina",
    "last_name": "Ravensworth",
    "email": "w.ravensworth@patient.example",
    "symptoms": "Hollowing under both eyes since a carbon peel in March.",
    "goals": "Look rested again without fillers.",
}
WRITTEN = {
    "question": "Could you send a photo in daylight, without make-up?",
    "answer": "Here it is, taken at the window this morning.",
    "note": "Called her back; prefers mornings.",
    "assessment": "Moderate tear-trough hollowing with good skin quality.",
    "route_note": "Please look at the left side especially.",
    "treatment": "A peel at a spa in Lisbon",
}


def full_case(*, coordinator, surgeon):
    case = ConsultationRequestFactory(**PATIENT)
    RequestConcern.objects.create(consultation=case, area="under_eyes")
    PriorTreatment.objects.create(
        consultation=case, kind="other", other_description=WRITTEN["treatment"]
    )
    # A real camera photo (EXIF, GPS) and a plain one, processed into renditions.
    for content, angle in (
        (fixture_bytes("DSCN0010.jpg"), "front"),
        (image_bytes(), "left_profile"),
    ):
        photo_process(photo_id=stored_photo(content, consultation=case, angle=angle).id)
    case = case_changes.consultation_request_info(
        consultation=case, by=coordinator, question=WRITTEN["question"], version=case.version
    )
    case = case_changes.consultation_patient_reply(
        consultation=case,
        question_id=case.information_requests.get().pk,
        answer=WRITTEN["answer"],
        photos=[],
    )
    case_changes.consultation_add_note(consultation=case, by=coordinator, body=WRITTEN["note"])
    case = case_changes.consultation_route(
        consultation=case,
        by=coordinator,
        surgeon=surgeon,
        note=WRITTEN["route_note"],
        version=case.version,
    )
    case = case_changes.consultation_record_review(
        consultation=case,
        by=surgeon,
        recommendation="fat_grafting_candidate",
        assessment=WRITTEN["assessment"],
        version=case.version,
    )
    content = image_bytes()
    facts = inspect_photo(io.BytesIO(content), name="upload", max_pixels=60_000_000)
    upload_hold(
        holder="browser",
        submission_key=case.submission_key,
        photo=AcceptedPhoto(upload=ContentFile(content), facts=facts, angle="front", name="me.jpg"),
    )
    return case
