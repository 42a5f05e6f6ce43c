"""Saved replies: standard questions the administrators keep in the admin, picked
(and edited, or not) by a coordinator asking the patient for more."""

import pytest
from django.urls import reverse

from consultations.models import SavedReply, Status
from tests.factories import ConsultationRequestFactory
from tests.staff import administrator, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def left_profile():
    return SavedReply.objects.create(
        title="Left profile", question="Please send a left profile in daylight."
    )


def ask(client, case, **data):
    return client.post(
        reverse("staff:case_action", args=[case.reference, "request_info"]),
        {"version": case.version, **data},
    )


def test_the_case_page_offers_the_active_saved_questions(client, coordinator_user, left_profile):
    SavedReply.objects.create(title="Retired", question="Old question.", active=False)
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    signed_in(client, coordinator_user)
    html = client.get(reverse("staff:case_detail", args=[case.reference])).content.decode()
    assert "Start from a saved question" in html
    assert 'data-question="Please send a left profile in daylight."' in html
    assert 'data-fills="id_request_info_question"' in html
    assert "Old question." not in html
    assert "js/saved-replies.js" in html


def test_a_saved_question_is_asked_as_it_stands_when_nothing_is_typed(
    client, coordinator_user, left_profile
):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    signed_in(client, coordinator_user)
    assert ask(client, case, saved_reply=left_profile.pk, question="").status_code == 302
    assert case.information_requests.get().question == "Please send a left profile in daylight."


def test_what_the_coordinator_typed_wins_over_the_saved_question(
    client, coordinator_user, left_profile
):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    signed_in(client, coordinator_user)
    edited = "Please send a left profile in daylight, hair tied back."
    assert ask(client, case, saved_reply=left_profile.pk, question=edited).status_code == 302
    assert case.information_requests.get().question == edited


def test_neither_a_question_nor_a_saved_one_is_refused(client, coordinator_user):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    signed_in(client, coordinator_user)
    response = ask(client, case, question="")
    assert response.status_code == 400
    assert "Write a question, or pick a saved one." in response.content.decode()
    assert not case.information_requests.exists()


def test_administrators_edit_saved_replies_in_the_admin(client, left_profile):
    signed_in(client, administrator())
    url = reverse("admin:consultations_savedreply_change", args=[left_profile.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Left profile",
            "question": "Please send a left profile, in daylight, no make-up.",
            "position": 1,
            "active": "on",
        },
    )
    assert response.status_code == 302
    left_profile.refresh_from_db()
    assert left_profile.question == "Please send a left profile, in daylight, no make-up."


def test_coordinators_do_not_reach_the_admin(client, coordinator_user):
    signed_in(client, coordinator_user)
    response = client.get(reverse("admin:consultations_savedreply_changelist"))
    assert response.status_code in (302, 403)
