"""Staff pages: who reaches what, the queue, the case page and its actions."""

import pytest
from django.urls import reverse

from consultations import case_changes
from consultations.models import AccessRecord, ConsultationRequest, InternalNote, Status
from consultations.status_links import status_path
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload, upload
from tests.staff import signed_in

pytestmark = pytest.mark.django_db


def routed_to(surgeon, coordinator):
    case = ConsultationRequestFactory()
    return case_changes.consultation_route(
        consultation=case, by=coordinator, surgeon=surgeon, note="", version=case.version
    )


def staff_urls(case):
    return [
        reverse("staff:home"),
        reverse("staff:queue"),
        reverse("staff:my_cases"),
        reverse("staff:case_detail", args=[case.reference]),
        reverse("staff:case_compare", args=[case.reference]),
    ]


def test_anonymous_users_are_sent_to_sign_in(client):
    case = ConsultationRequestFactory()
    for url in staff_urls(case):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("staff:case_action", args=[case.reference, "mark_spam"]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_signed_in_users_without_a_role_reach_nothing(client, outsider_user):
    case = ConsultationRequestFactory()
    signed_in(client, outsider_user)
    for url in staff_urls(case):
        # A case's pages answer as if it did not exist; the lists refuse.
        expected = 404 if case.reference in url else 403
        assert client.get(url).status_code == expected, url


def test_sign_in_page_and_role_landing(client, coordinator_user, surgeon_user):
    assert client.get(reverse("account_login")).status_code == 200
    signed_in(client, coordinator_user)
    assert client.get(reverse("staff:home"))["Location"] == reverse("staff:queue")
    client.post(reverse("account_logout"))
    signed_in(client, surgeon_user)
    assert client.get(reverse("staff:home"))["Location"] == reverse("staff:my_cases")


def test_surgeons_see_only_their_cases(client, coordinator_user, surgeon_user, other_surgeon_user):
    mine = routed_to(surgeon_user, coordinator_user)
    theirs = routed_to(other_surgeon_user, coordinator_user)
    unrouted = ConsultationRequestFactory()
    signed_in(client, surgeon_user)

    listing = client.get(reverse("staff:my_cases") + "?show=all").content.decode()
    assert mine.reference in listing
    assert theirs.reference not in listing and unrouted.reference not in listing

    assert client.get(reverse("staff:case_detail", args=[mine.reference])).status_code == 200
    for other in (theirs, unrouted):
        for name in ("staff:case_detail", "staff:case_compare"):
            assert client.get(reverse(name, args=[other.reference])).status_code == 404
        response = client.post(
            reverse("staff:case_action", args=[other.reference, "record_review"]),
            {"version": other.version, "recommendation": "other", "assessment": "x"},
        )
        assert response.status_code == 404
    # Surgeons have no queue.
    assert client.get(reverse("staff:queue")).status_code == 403


def test_a_nonexistent_case_looks_like_a_forbidden_one(client, surgeon_user):
    signed_in(client, surgeon_user)
    assert client.get(reverse("staff:case_detail", args=["CR-AAAA-BBBB"])).status_code == 404


def test_opening_a_case_shows_everything_and_writes_an_access_record(client, coordinator_user):
    case = ConsultationRequestFactory(first_name="Marguerite", symptoms="Hollow temples.")
    signed_in(client, coordinator_user)
    response = client.get(reverse("staff:case_detail", args=[case.reference]))
    html = response.content.decode()
    assert "Marguerite" in html and "Hollow temples." in html
    assert "Start triage" in html and "Route to a surgeon" in html
    access = AccessRecord.objects.get()
    assert (
        access.case_id,
        access.reference,
        access.user,
        access.ip_address,
        access.view,
        access.status_code,
    ) == (case.pk, case.reference, coordinator_user, "127.0.0.1", "staff:case_detail", 200)
    client.get(reverse("staff:case_detail", args=[case.reference]))
    assert AccessRecord.objects.count() == 2


def test_actions_through_the_page(client, coordinator_user, surgeon_user):
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "route"]),
        {"version": case.version, "surgeon": surgeon_user.pk, "note": "Cheeks"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ROUTED and case.surgeon == surgeon_user

    client.logout()
    signed_in(client, surgeon_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "record_review"]),
        {"version": case.version, "recommendation": "in_person_needed", "assessment": "See me."},
    )
    assert response["Location"] == reverse("staff:my_cases")
    case.refresh_from_db()
    assert case.status == Status.REVIEWED


def test_an_action_from_a_stale_page_keeps_the_text_and_says_why(client, coordinator_user):
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    stale_version = case.version
    case_changes.consultation_start_triage(
        consultation=case, by=coordinator_user, version=stale_version
    )
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "request_info"]),
        {"version": stale_version, "question": "Please send a photo in daylight."},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this case" in html
    assert "Please send a photo in daylight." in html
    case.refresh_from_db()
    assert case.status == Status.IN_TRIAGE


def test_a_refused_action_is_explained(client, coordinator_user):
    case = ConsultationRequestFactory(status=Status.CLOSED, outcome="no_response")
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "mark_spam"]),
        {"version": case.version, "note": ""},
    )
    assert response.status_code == 409
    assert "is not possible while the case is closed" in response.content.decode()


def test_an_invalid_action_form_shows_field_errors(client, coordinator_user):
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "route"]),
        {"version": case.version, "surgeon": ""},
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_internal_notes_stay_internal(client, coordinator_user):
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    client.post(reverse("staff:case_note", args=[case.reference]), {"body": "Seems anxious."})
    assert InternalNote.objects.get().body == "Seems anxious."
    assert (
        "Seems anxious."
        in client.get(reverse("staff:case_detail", args=[case.reference])).content.decode()
    )
    client.logout()
    assert "Seems anxious." not in client.get(status_path(case)).content.decode()


def test_the_more_information_round_trip(client, coordinator_user):
    case = ConsultationRequestFactory()
    signed_in(client, coordinator_user)
    client.post(
        reverse("staff:case_action", args=[case.reference, "request_info"]),
        {"version": case.version, "question": "Please add a left profile photo."},
    )
    client.logout()

    page = client.get(status_path(case)).content.decode()
    assert "Please add a left profile photo." in page
    question = case.information_requests.get()
    answers = {"question": question.pk}
    assert "We need a little more from you" in page

    empty = client.post(status_path(case), {**answers, "answer": ""})
    assert "Please write an answer or add at least one photo." in empty.content.decode()

    bad = client.post(
        status_path(case), {**answers, "answer": "Here", "photos": [upload("x.jpg", b"nope")]}
    )
    assert "“x.jpg” is not a photo" in bad.content.decode()
    assert "Here" in bad.content.decode()

    response = client.post(
        status_path(case), {**answers, "answer": "Attached.", "photos": [jpeg_upload("left.jpg")]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_TRIAGE
    assert case.photos.count() == 1
    question.refresh_from_db()
    assert question.answer == "Attached." and question.answered_at
    assert (
        "Thank you: your answer has reached the clinic."
        in client.get(response["Location"]).content.decode()
    )
    # A repeated post (reload) changes nothing more.
    client.post(status_path(case), {**answers, "answer": "Again"})
    assert ConsultationRequest.objects.get().photos.count() == 1
    assert case.status_changes.filter(to_status=Status.IN_TRIAGE).count() == 1
