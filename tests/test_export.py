"""Exports for the clinic's records: a PDF read back, a FHIR Bundle validated."""

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from consultations.models import AccessRecord
from tests.full_case import PATIENT, WRITTEN, full_case
from tests.images import fixture_bytes
from tests.photos import assert_no_metadata
from tests.staff import signed_in
from uploads.validation import PhotoRejected, inspect_photo

pytestmark = pytest.mark.django_db

# Internal notes are the team's, not the record's.
EXPORTED = [*PATIENT.values(), *(v for k, v in WRITTEN.items() if k != "note")]


@pytest.fixture
def case(coordinator_user, surgeon_user):
    return full_case(coordinator=coordinator_user, surgeon=surgeon_user)


def export(user, case, name):
    return signed_in(Client(), user).get(reverse(f"staff:{name}", args=[case.reference]))


def test_the_pdf_holds_the_case_and_photos_without_metadata(case, coordinator_user):
    response = export(coordinator_user, case, "case_export_pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}.pdf"'

    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert case.reference in text
    for value in EXPORTED:
        assert " ".join(value.split()) in text, value
    assert WRITTEN["note"] not in text
    assert "Candidate for fat grafting" in text and "Under the eyes" in text

    # WeasyPrint lists every image in each page's resources: distinct streams count.
    images = {image.data: image for page in reader.pages for image in page.images}
    assert len(images) == 2
    for image in images.values():
        # The embedded stream is the display rendition itself: a JPEG, no EXIF, no GPS.
        picture = assert_no_metadata(image.data)
        assert max(picture.size) <= 2048
    record = AccessRecord.objects.get(view="staff:case_export_pdf")
    assert (record.user, record.case_id, record.outcome) == (coordinator_user, case.pk, "shown")


def test_the_fhir_bundle_validates_and_carries_each_part(case, surgeon_user):
    response = export(surgeon_user, case, "case_export_fhir")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"

    bundle = Bundle.model_validate_json(response.content)
    resources = [entry.resource for entry in bundle.entry]
    kinds = sorted(resource.get_resource_type() for resource in resources)
    assert kinds == ["ClinicalImpression", "Media", "Media", "Patient", "QuestionnaireResponse"]
    raw = response.content.decode()
    # The timeline (and the routing note in it) is the PDF's, not a FHIR resource's.
    for value in (v for v in EXPORTED if v != WRITTEN["route_note"]):
        assert json.dumps(value)[1:-1] in raw, value
    assert WRITTEN["note"] not in raw

    patient = next(r for r in resources if r.get_resource_type() == "Patient")
    subject = next(e.fullUrl for e in bundle.entry if e.resource is patient)
    assert all(
        r.subject.reference == subject for r in resources if r.get_resource_type() != "Patient"
    )
    media = [r for r in resources if r.get_resource_type() == "Media"]
    assert sorted(m.view.text for m in media) == ["Front", "Left profile"]
    for item in media:
        # fhir.resources has decoded the base64 already.
        assert_no_metadata(item.content.data)
    answers = next(r for r in resources if r.get_resource_type() == "QuestionnaireResponse")
    assert answers.identifier.value == case.reference
    # The same case exported again names the same resources.
    again = Bundle.model_validate_json(export(surgeon_user, case, "case_export_fhir").content)
    assert [e.fullUrl for e in again.entry] == [e.fullUrl for e in bundle.entry]
    assert AccessRecord.objects.filter(view="staff:case_export_fhir", case_id=case.pk).count() == 2


def test_only_staff_who_see_the_case_export_it(case, other_surgeon_user):
    for name in ("case_export_pdf", "case_export_fhir"):
        response = export(other_surgeon_user, case, name)
        assert response.status_code == 404
        record = AccessRecord.objects.filter(view=f"staff:{name}").get()
        assert (record.user, record.outcome) == (other_surgeon_user, "denied")


def test_making_a_pdf_leaves_upload_validation_as_strict_as_before(case, coordinator_user):
    # WeasyPrint's import tells Pillow to accept truncated images, process-wide.
    assert export(coordinator_user, case, "case_export_pdf").status_code == 200
    with pytest.raises(PhotoRejected):
        inspect_photo(
            io.BytesIO(fixture_bytes("pillow_truncated_jpeg.jpg")), name="cut.jpg", max_pixels=10**8
        )
