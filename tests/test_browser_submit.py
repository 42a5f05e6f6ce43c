"""A patient on a phone fills in the form in Chromium and sees a reference."""

import re

import pytest

from consultations.models import ConsultationRequest
from tests.images import FIXTURES, image_bytes
from tests.submission import PATIENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "test-artifacts"


def fill_form(page):
    page.get_by_label("First name").fill(PATIENT["first_name"])
    page.get_by_label("Last name").fill(PATIENT["last_name"])
    page.get_by_label("Email address").fill(PATIENT["email"])
    page.get_by_label("Phone number").fill(PATIENT["phone"])
    page.get_by_label("Text message").check()
    page.get_by_label("Date of birth").fill("1990-02-14")
    page.get_by_label("Country where you live").select_option("GB")
    page.get_by_label("State, province or region").fill("Greater London")
    page.get_by_label("Under the eyes / tear troughs").check()
    page.get_by_label("What have you noticed, and since when?").fill(PATIENT["symptoms"])
    page.get_by_label("What would you like to achieve?").fill(PATIENT["goals"])
    page.get_by_label("Carbon peel", exact=True).check()
    page.get_by_label("When did you have Carbon peel? (approximately)").fill("2026-09")


def consent(page):
    page.get_by_label("I have read the privacy notice.").check()
    page.get_by_label("I agree that the clinic stores my photos for medical evaluation.").check()
    page.get_by_label("I agree to be contacted about my request.").check()


def test_a_patient_submits_from_a_phone_and_sees_a_reference(live_server, phone_page, tmp_path):
    front = tmp_path / "front.jpg"
    front.write_bytes(image_bytes("JPEG", (1200, 1600)))
    page = phone_page
    page.goto(live_server.url + "/")
    fill_form(page)
    page.get_by_label("Choose your photos").set_input_files(
        [str(front), str(FIXTURES / "IMG_5195.HEIC")]
    )
    consent(page)
    page.screenshot(path=f"{SCREENSHOTS}/phone-form-filled.png", full_page=True)
    page.get_by_role("button", name="Send my request").click()

    reference = page.get_by_test_id("reference")
    reference.wait_for()
    assert re.fullmatch(r"CR-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", reference.inner_text())
    page.screenshot(path=f"{SCREENSHOTS}/phone-status.png", full_page=True)

    consultation = ConsultationRequest.objects.get()
    assert consultation.reference == reference.inner_text()
    assert consultation.preferred_contact == "sms"
    assert consultation.photos.count() == 2


def test_a_mistake_keeps_every_answer_and_asks_for_the_photos_again(
    live_server, phone_page, tmp_path
):
    page = phone_page
    page.goto(live_server.url + "/")
    fill_form(page)
    page.get_by_label("Email address").fill("not an email")
    page.get_by_label("Choose your photos").set_input_files([str(FIXTURES / "portrait_6.jpg")])
    consent(page)
    page.get_by_role("button", name="Send my request").click()

    page.get_by_text("Please check 1 answer").wait_for()
    page.screenshot(path=f"{SCREENSHOTS}/phone-form-error.png", full_page=True)
    assert page.get_by_label("First name").input_value() == PATIENT["first_name"]
    assert page.get_by_label("Text message").is_checked()
    assert page.get_by_label("Carbon peel", exact=True).is_checked()
    assert page.get_by_label("When did you have Carbon peel? (approximately)").input_value() == (
        "2026-09"
    )
    assert page.get_by_label("I have read the privacy notice.").is_checked()
    assert page.get_by_text("Please choose your photos again").is_visible()
    assert ConsultationRequest.objects.count() == 0
