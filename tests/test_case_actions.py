"""The action table drives the case page: one next step open, the others folded,
confirmations in words, the latest answer and review at the top."""

import re

import pytest
from django.urls import reverse

from consultations.actions import STAFF_ACTIONS, Button
from consultations.models import Status
from consultations.workflow import TRANSITIONS, Role
from tests.case_steps import answered, reviewed, routed
from tests.factories import ConsultationRequestFactory
from tests.staff import signed_in

pytestmark = pytest.mark.django_db


def test_every_staff_transition_has_exactly_one_action_and_the_patients_none():
    staff = {a for a, t in TRANSITIONS.items() if t.role in (Role.COORDINATOR, Role.SURGEON)}
    assert set(STAFF_ACTIONS) == staff
    for entry in STAFF_ACTIONS.values():
        # A next step must be possible from the status it is the next step in.
        assert entry.next_step_in <= entry.transition.sources, entry.action


def test_each_status_has_at_most_one_next_step():
    for status in Status:
        steps = [e.action for e in STAFF_ACTIONS.values() if e.is_next_step(status)]
        assert len(steps) <= 1, (status, steps)


def case_page(client, case) -> str:
    return client.get(reverse("staff:case_detail", args=[case.reference])).content.decode()


def test_the_next_step_is_open_and_primary_and_the_others_are_folded(client, coordinator_user):
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    html = case_page(client, case)
    assert "Next step: start triage" in html
    assert re.search(r'<form [^>]*class="action action--start_triage"', html)
    assert 'class="button button--primary">Start triage</button>' in html
    folded = re.findall(r'<details class="action action--(\w+)"', html)
    assert set(folded) == {"request_info", "route", "mark_spam", "mark_duplicate"}
    for action in folded:
        if STAFF_ACTIONS[action].button == Button.DANGER:
            assert f'button--danger">{STAFF_ACTIONS[action].label}</button>' in html
    assert html.count("button--primary") == 1


def test_a_status_without_a_next_step_folds_everything(client, coordinator_user):
    case = ConsultationRequestFactory(status=Status.AWAITING_PATIENT)
    signed_in(client, coordinator_user)
    html = case_page(client, case)
    assert "What you can do" in html and "Next step" not in html
    assert "button--primary" not in html
    assert set(re.findall(r'<details class="action action--(\w+)"', html)) == {
        "close",
        "mark_duplicate",
    }


def test_a_form_with_errors_stays_open(client, coordinator_user):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "request_info"]),
        {"version": case.version, "question": ""},
    )
    assert response.status_code == 400
    assert '<details class="action action--request_info" open>' in response.content.decode()


@pytest.mark.parametrize(
    ("status", "action", "data", "said"),
    [
        (Status.SUBMITTED, "start_triage", {}, "Triage started."),
        (
            Status.IN_TRIAGE,
            "request_info",
            {"question": "A left profile, please."},
            "Asked the patient for more information.",
        ),
        (Status.IN_TRIAGE, "route", {"surgeon": "SURGEON"}, "Routed to Surgeon Staff."),
        (Status.REVIEWED, "close", {"outcome": "declined_by_patient"}, "Case closed: declined"),
        (Status.IN_TRIAGE, "mark_spam", {}, "Marked as spam."),
    ],
)
def test_confirmations_say_what_happened(
    client, coordinator_user, surgeon_user, status, action, data, said
):
    case = ConsultationRequestFactory(status=status)
    signed_in(client, coordinator_user)
    data = {k: surgeon_user.pk if v == "SURGEON" else v for k, v in data.items()}
    response = client.post(
        reverse("staff:case_action", args=[case.reference, action]),
        {"version": case.version, **data},
        follow=True,
    )
    html = response.content.decode()
    assert said in html
    assert ": done." not in html


def test_a_duplicate_confirmation_names_the_original(client, coordinator_user):
    original = ConsultationRequestFactory()
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "mark_duplicate"]),
        {"version": case.version, "original_reference": original.reference.lower()},
        follow=True,
    )
    assert f"Marked as a duplicate of {original.reference}." in response.content.decode()


def test_the_latest_answer_and_the_review_come_before_the_photos(
    client, coordinator_user, surgeon_user
):
    case = answered(by=coordinator_user, answer="Mostly the left.")
    case = routed(case=case, by=coordinator_user, surgeon=surgeon_user)
    reviewed(case=case, surgeon=surgeon_user, assessment="Come and see me.")
    signed_in(client, coordinator_user)
    html = case_page(client, case)
    photos = html.index('id="photos-h"')
    assert html.index("Mostly the left.") < photos
    assert html.index("Come and see me.") < photos
    assert "Next step: close the case" in html
