"""What a patient's browser does to a form besides one click: Back then Send again,
and a mistake in one field. On the portal as the clinic runs it, in Chromium."""

import pytest

from consultations.models import ConsultationRequest
from consultations.status_links import status_path
from tests.browser import PHONE, Person, fill_form
from tests.case_steps import asked
from tests.images import FIXTURES
from tests.submission import PATIENT

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(portal, chromium):
    person = Person(chromium, portal.url, "patient", PHONE)
    yield person
    person.close()


def test_back_then_send_makes_no_second_request(patient):
    page = patient.page
    page.goto("/")
    fill_form(page)
    page.get_by_label("Other photos").set_input_files([FIXTURES / "DSCN0010.jpg"])
    page.get_by_role("button", name="Send my request").click()
    reference = page.get_by_test_id("reference").inner_text()

    page.go_back()
    assert page.get_by_label("First name").input_value() == PATIENT["first_name"]
    patient.step("back-form-restored")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my request").click()
    patient.step("back-then-send")

    # The request already made, and no second reference.
    assert ConsultationRequest.objects.count() == 1
    assert page.get_by_test_id("reference").inner_text() == reference
    assert page.get_by_text("You had already sent this request").is_visible()


def test_a_refused_security_check_keeps_what_was_typed(patient):
    """Cookies cleared (or blocked) while the form was open: Django's CSRF check
    refuses the post. The patient gets the portal's page with their answers."""
    page = patient.page
    page.goto("/")
    fill_form(page)
    page.get_by_label("Other photos").set_input_files([FIXTURES / "portrait_6.jpg"])
    # The widget's upload done first: otherwise Send waits for it and the
    # refused post may come after this block (a race under load).
    page.locator("[data-state=uploaded]").wait_for()
    patient.context.clear_cookies()
    with patient.expect_status(403):
        page.get_by_role("button", name="Send my request").click()
    page.get_by_text("Nothing was sent yet").wait_for()
    patient.step("csrf-refused")
    assert page.get_by_label("First name").input_value() == PATIENT["first_name"]
    assert (
        page.get_by_label("What have you noticed, and since when?").input_value()
        == (PATIENT["symptoms"])
    )
    assert page.get_by_label("Text message").is_checked()
    assert page.get_by_label("I agree to be contacted about my request.").is_checked()
    assert ConsultationRequest.objects.count() == 0

    page.get_by_label("Other photos").set_input_files([FIXTURES / "portrait_6.jpg"])
    page.get_by_role("button", name="Send my request").click()
    reference = page.get_by_test_id("reference").inner_text()
    assert ConsultationRequest.objects.get().reference == reference


def test_back_then_send_makes_no_second_reply(patient, coordinator_user):
    case = asked(by=coordinator_user, question="A left profile, please.")
    page = patient.page
    page.goto(status_path(case))
    page.get_by_label("Your answer").fill("Here it is.")
    page.get_by_label("Add photos").set_input_files([FIXTURES / "portrait_6.jpg"])
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("your answer has reached the clinic").wait_for()

    page.go_back()
    send = page.get_by_role("button", name="Send my answer")
    # A browser that restores the form lets the patient press Send again.
    if send.count():
        with page.expect_navigation():
            send.click()
    patient.step("reply-back-then-send")

    assert page.get_by_test_id("reference").inner_text() == case.reference
    assert case.information_requests.get().answer == "Here it is."
    # Sent in the background by the widget, claimed by the reply as added later.
    assert list(case.photos.values_list("angle", flat=True)) == ["added_later"]
    assert case.status_changes.filter(to_status="in_triage").count() == 2  # triage, reply


def test_a_mistake_keeps_every_answer_and_every_photo(patient):
    """Without choosing a photo twice: slots filled, a typing mistake, fixed, sent."""
    page = patient.page
    page.goto("/")
    fill_form(page)
    page.get_by_label("Email address").fill("not an email")
    page.locator("#id_photo_front").set_input_files([FIXTURES / "portrait_6.jpg"])
    page.locator("#id_photo_left_oblique").set_input_files([FIXTURES / "DSCN0010.jpg"])
    page.get_by_role("button", name="Send my request").click()

    page.get_by_text("Please check 1 answer").wait_for()
    patient.step("form-error")
    assert page.get_by_label("First name").input_value() == PATIENT["first_name"]
    assert page.get_by_label("Email address").input_value() == "not an email"
    assert page.get_by_label("Text message").is_checked()
    assert page.get_by_label("Carbon peel", exact=True).is_checked()
    assert page.get_by_label("When did you have Carbon peel? (approximately)").input_value() == (
        "2026-09"
    )
    assert page.get_by_label("I have read the privacy notice.").is_checked()
    assert page.get_by_text("Kept: portrait_6.jpg").is_visible()
    assert page.get_by_text("Kept: DSCN0010.jpg").is_visible()
    page.locator(".photo-slots").scroll_into_view_if_needed()
    patient.step("kept-photos-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    patient.step("kept-photos-1366")
    assert ConsultationRequest.objects.count() == 0

    page.get_by_label("Email address").fill(PATIENT["email"])
    page.get_by_role("button", name="Send my request").click()
    page.get_by_test_id("reference").wait_for()
    case = ConsultationRequest.objects.get()
    assert sorted(case.photos.values_list("angle", flat=True)) == ["front", "left_oblique"]
