"""A status link ends: some days after the case closed, and at once when it is erased."""

import datetime

import pytest
from django.utils import timezone

from consultations import case_changes
from consultations.models import InformationRequest
from consultations.status_links import status_path
from lifecycle.erasure import consultation_erase
from tests.factories import ConsultationRequestFactory

pytestmark = pytest.mark.django_db

CLOSED = "This request is closed"


@pytest.fixture
def closed_case(coordinator_user):
    case = ConsultationRequestFactory(first_name="Ottoline")
    case = case_changes.consultation_start_triage(
        consultation=case, by=coordinator_user, version=case.version
    )
    return case_changes.consultation_close(
        consultation=case, by=coordinator_user, outcome="no_response", note="", version=case.version
    )


def test_the_link_shows_the_case_until_the_days_after_closing_have_passed(
    client, closed_case, settings, time_machine
):
    settings.PORTAL_STATUS_LINK_DAYS_AFTER_CLOSE = 30
    page = client.get(status_path(closed_case))
    assert CLOSED not in page.content.decode()
    assert closed_case.reference in page.content.decode()

    time_machine.move_to(timezone.now() + datetime.timedelta(days=30, minutes=1))
    page = client.get(status_path(closed_case))
    body = page.content.decode()
    assert page.status_code == 200
    assert CLOSED in body
    assert closed_case.reference not in body and "Ottoline" not in body
    assert settings.PORTAL_CLINIC_PHONE in body and settings.PORTAL_CLINIC_EMAIL in body


def test_an_open_case_keeps_its_link_however_old(client, settings, time_machine):
    case = ConsultationRequestFactory()
    time_machine.move_to(timezone.now() + datetime.timedelta(days=400))
    assert CLOSED not in client.get(status_path(case)).content.decode()


def test_erasure_ends_the_link_at_once_and_a_reply_stores_nothing(
    client, coordinator_user, django_capture_on_commit_callbacks
):
    case = ConsultationRequestFactory()
    case = case_changes.consultation_request_info(
        consultation=case, by=coordinator_user, question="A daylight photo?", version=case.version
    )
    question = case.information_requests.get()
    with django_capture_on_commit_callbacks(execute=True):
        consultation_erase(consultation_id=case.pk, by=coordinator_user, reason="Asked to")

    assert CLOSED in client.get(status_path(case)).content.decode()
    reply = client.post(
        status_path(case), {"question": question.pk, "answer": "Here you are", "submission_key": ""}
    )
    assert CLOSED in reply.content.decode()
    assert not InformationRequest.objects.exists()
