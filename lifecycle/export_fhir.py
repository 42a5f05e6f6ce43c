"""The case as a FHIR R4B Bundle (collection) for the clinic's EMR.

Patient; a QuestionnaireResponse with the form's answers and the patient's
later answers; a Media per photo (its display rendition, its angle as the
view); a ClinicalImpression per surgeon's review. Ids are derived from the
case's random status key, so exporting twice names the same resources and an
EMR can recognise a re-import. The bundle is validated by fhir.resources'
models as it is built.
"""

import base64
import uuid

from django.conf import settings

from consultations.models import ConsultationRequest

from .exports import export_content


def _urn(consultation: ConsultationRequest, name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(consultation.status_key, name)}"


def _text_item(link_id: str, text: str, values: list[str]) -> dict:
    return {"linkId": link_id, "text": text, "answer": [{"valueString": v} for v in values if v]}


def _answers(content: dict) -> list[dict]:
    case = content["case"]
    items = [
        _text_item(
            "concerns", "Areas of concern", [c.get_area_display() for c in content["concerns"]]
        ),
        {
            "linkId": "treatments",
            "text": "Prior treatments",
            "item": [
                _text_item(
                    f"treatment-{t.kind}",
                    t.get_kind_display(),
                    [
                        t.other_description,
                        t.approximate_date and t.approximate_date.strftime("%Y-%m"),
                    ],
                )
                for t in content["treatments"]
            ],
        },
        _text_item("symptoms", "Symptoms", [case.symptoms]),
        _text_item("goals", "Goals", [case.goals]),
        _text_item(
            "preferred-contact", "Preferred contact", [case.get_preferred_contact_display()]
        ),
    ]
    items += [
        _text_item(f"question-{n}", item.question, [item.answer])
        for n, item in enumerate(content["information_requests"], start=1)
    ]
    # FHIR forbids empty items: an unanswered question or no treatment is left out.
    return [item for item in items if item.get("answer") or item.get("item")]


def _patient(case: ConsultationRequest, patient: str) -> dict:
    return {
        "resourceType": "Patient",
        "id": patient.rsplit(":", 1)[-1],
        "name": [{"family": case.last_name, "given": [case.first_name]}],
        "telecom": [
            {"system": "email", "value": case.email},
            {"system": "phone", "value": case.phone.as_e164},
        ],
        # Only an erased case (a tombstone, which no one exports) has none.
        "birthDate": case.date_of_birth.isoformat() if case.date_of_birth else None,
        # A Country at runtime; django-stubs types every CharField subclass as str.
        "address": [{"state": case.region, "country": case.country.code}],  # type: ignore[attr-defined]
    }


def case_bundle(consultation: ConsultationRequest):
    # Imported here: the FHIR models take a second or more to load, for exports only.
    from fhir.resources.R4B.bundle import Bundle

    content = export_content(consultation)
    case = content["case"]
    patient = _urn(case, "patient")
    identifier = {"system": f"{settings.PORTAL_SITE_URL}/reference", "value": case.reference}
    # What every resource about the case says: whose it is and which case.
    about = {"identifier": [identifier], "status": "completed", "subject": {"reference": patient}}
    answers = {
        "resourceType": "QuestionnaireResponse",
        **about,
        # The one resource whose identifier is not a list in R4B.
        "identifier": identifier,
        "authored": case.created_at.isoformat(),
        "item": _answers(content),
    }
    resources = [(patient, _patient(case, patient)), (_urn(case, "answers"), answers)]
    resources += [
        (
            _urn(case, f"photo-{item.photo.pk}"),
            {
                "resourceType": "Media",
                **about,
                "view": {"text": item.photo.get_angle_display() or "Not given"},
                "createdDateTime": item.photo.created_at.isoformat(),
                "width": item.width,
                "height": item.height,
                "content": {
                    "contentType": item.content_type,
                    "data": base64.b64encode(item.content).decode(),
                    "title": f"{case.reference} photo {item.number}",
                },
            },
        )
        for item in content["photos"]
    ]
    resources += [
        (
            _urn(case, f"review-{review.pk}"),
            {
                "resourceType": "ClinicalImpression",
                **about,
                "date": review.created_at.isoformat(),
                "assessor": {"display": review.surgeon.get_full_name() or review.surgeon.username},
                "summary": review.assessment,
                "prognosisCodeableConcept": [{"text": review.get_recommendation_display()}],
            },
        )
        for review in content["reviews"]
    ]
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "identifier": identifier,
            "timestamp": case.updated_at.isoformat(),
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in resources],
        }
    )
