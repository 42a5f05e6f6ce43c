"""The patient's private status page, reached only through its signed link."""

import pytest
from django.urls import reverse

from consultations.models import Status
from consultations.status_links import consultation_for_token, status_path, status_token
from tests.factories import ConsultationRequestFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_reference_and_a_plain_language_status(client):
    consultation = ConsultationRequestFactory()
    response = client.get(status_path(consultation))
    html = response.content.decode()
    assert response.status_code == 200
    assert consultation.reference in html
    assert "Received" in html
    assert "What happens next" in html
    # Full URL (with its token) only to the portal itself; never "no-referrer",
    # which makes Chromium send "Origin: null" and fail the CSRF check.
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_it_shows_nothing_the_patient_did_not_type_and_no_health_details(client):
    consultation = ConsultationRequestFactory(status=Status.ROUTED)
    html = client.get(status_path(consultation)).content.decode()
    assert "With a surgeon" in html
    for private in (consultation.symptoms, consultation.email, consultation.last_name):
        assert private not in html


def test_the_token_carries_neither_the_id_nor_the_reference():
    consultation = ConsultationRequestFactory()
    token = status_token(consultation)
    assert consultation.reference not in token
    assert consultation_for_token(token) == consultation


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.split(":")[0],
        lambda token: "1",
        lambda token: "not-a-uuid:" + token.split(":")[1],
    ],
    ids=["bad-signature", "unsigned", "sequential-id", "garbage"],
)
def test_a_tampered_or_guessed_link_is_not_found(client, mangle):
    consultation = ConsultationRequestFactory()
    url = reverse("consultations:status", kwargs={"token": mangle(status_token(consultation))})
    response = client.get(url)
    assert response.status_code == 404
    assert consultation.reference not in response.content.decode()
