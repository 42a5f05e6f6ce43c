"""Every aria-describedby, aria-labelledby, label[for] and in-page link points at an
element that exists, on each page with its forms showing errors."""

import pytest
from django.urls import reverse

from consultations import case_changes
from consultations.models import Status
from consultations.status_links import status_path
from tests.factories import ConsultationRequestFactory
from tests.html_refs import dangling_references, described_by
from tests.staff import signed_in
from tests.submission import form_data

pytestmark = pytest.mark.django_db


def assert_all_references_exist(response, *, must_describe: str):
    html = response.content.decode()
    assert dangling_references(html) == []
    # The page did show its errors, tied to their inputs.
    assert must_describe in described_by(html)


def test_the_request_form_with_errors(client):
    # Wrong in every way the page can show: missing fields, a radio group, a
    # treatment row, a consent, the photos.
    data = form_data(first_name="", preferred_contact="", treatment_ipl_date="2020-01")
    data.pop("consent_photos", None)
    response = client.post(reverse("consultations:request_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-describedby="id_first_name_error"' in html
    assert 'id="id_first_name_error"' in html
    assert 'id="id_treatment_ipl_error"' in html
    assert_all_references_exist(response, must_describe="id_photo_front_error")


def test_the_status_page_reply_form_with_errors(client, coordinator_user):
    case = ConsultationRequestFactory()
    case = case_changes.consultation_request_info(
        consultation=case, by=coordinator_user, question="?", version=case.version
    )
    assert case.status == Status.AWAITING_PATIENT
    response = client.post(
        status_path(case),
        {"question": case.information_requests.get().pk, "answer": "x" * 4001},
    )
    assert response.status_code == 200
    assert_all_references_exist(response, must_describe="id_answer_error")


def test_staff_sign_in_with_errors(client):
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    assert_all_references_exist(response, must_describe="id_login_error")


def test_queue_filters_with_errors(client, coordinator_user):
    ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    response = client.get(reverse("staff:queue"), {"concern": "no-such-area"})
    assert_all_references_exist(response, must_describe="id_concern_error")


@pytest.mark.parametrize(
    ("action", "data", "described"),
    [
        ("route", {"surgeon": ""}, "id_route_surgeon_error"),
        ("close", {"outcome": ""}, "id_close_outcome_error"),
        ("request_info", {"question": ""}, "id_request_info_question_error"),
        (
            "mark_duplicate",
            {"original_reference": "nonsense"},
            "id_mark_duplicate_original_reference_error",
        ),
    ],
)
def test_case_page_action_forms_with_errors(client, coordinator_user, action, data, described):
    # In triage, every coordinator action's form is on the page.
    case = ConsultationRequestFactory()
    case = case_changes.consultation_start_triage(
        consultation=case, by=coordinator_user, version=case.version
    )
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, action]),
        {"version": case.version, **data},
    )
    assert response.status_code == 400
    assert_all_references_exist(response, must_describe=described)


def test_the_case_page_with_a_review_form_with_errors(client, coordinator_user, surgeon_user):
    case = ConsultationRequestFactory()
    case = case_changes.consultation_route(
        consultation=case,
        by=coordinator_user,
        surgeon=surgeon_user,
        note="",
        version=case.version,
    )
    signed_in(client, surgeon_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "record_review"]),
        {"version": case.version, "recommendation": "", "assessment": ""},
    )
    assert response.status_code == 400
    assert_all_references_exist(response, must_describe="id_record_review_assessment_error")


def test_the_checker_finds_a_dangling_reference():
    html = '<input aria-describedby="id_x_error"><ul id="id_x_errors"></ul>'
    assert dangling_references(html) == [("input[aria-describedby]", "id_x_error")]
