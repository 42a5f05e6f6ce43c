"""The whole journey of SPEC.md in Chromium, on the portal as the clinic runs it.

A patient on a phone; a coordinator and a surgeon at a desk; then every page
they saw again at the other width. Each step is screenshotted into
test-artifacts/ and fails on any 4xx/5xx, console error or page error.
"""

import re

import pytest

from consultations.models import ConsultationRequest, Status
from tests.browser import (
    DESK,
    PHONE,
    Person,
    fill_form,
    link_in,
    sign_in,
    sign_out,
    wait_for_images,
)
from tests.images import FIXTURES
from tests.notify_support import assert_no_phi, mail_files_messages, message_texts, wait_for
from tests.submission import PATIENT

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A real camera JPEG (with GPS in its EXIF) and a real iPhone HEIC.
FIRST_PHOTOS = [FIXTURES / "DSCN0010.jpg", FIXTURES / "IMG_5195.HEIC"]
ADDED_PHOTO = FIXTURES / "portrait_6.jpg"
QUESTION = "Could you add a photo of your left profile, please?"
ANSWER = "Here is my left profile, taken this morning by a window."


def patient_email(portal, reference: str, subject_words: str) -> str:
    """The text of the email to the patient about this request; it carries no PHI."""

    def find():
        for message in mail_files_messages(portal.mail_dir):
            subject, text, html = message_texts(message)
            if message["To"] == PATIENT["email"] and re.search(subject_words, subject, re.I):
                return subject, text, html
        return None

    subject, text, html = wait_for(find, timeout=30, what=f"the email '{subject_words}'")
    assert reference in text
    assert_no_phi(subject, text, html)
    return text


def wait_for_photos(reference: str, count: int) -> None:
    """The worker processes photos after commit; staff see them once it has."""

    def processed():
        photos = ConsultationRequest.objects.get(reference=reference).photos.all()
        statuses = [photo.status for photo in photos]
        assert "failed" not in statuses, statuses
        return len(statuses) == count and set(statuses) == {"ready"}

    wait_for(processed, timeout=60, what=f"{count} processed photos")


def submit_with_a_double_click(patient: Person) -> str:
    page = patient.page
    page.goto("/")
    patient.step("01-form")
    fill_form(page)
    page.get_by_label("Other photos").set_input_files(FIRST_PHOTOS)
    patient.step("02-form-filled")
    page.get_by_role("button", name="Send my request").dblclick()
    reference = page.get_by_test_id("reference").inner_text()
    patient.step("03-submitted")
    assert ConsultationRequest.objects.count() == 1
    return reference


def action_on(page, action: str):
    """An action on the case page, opened if it is one of the folded ones."""
    block = page.locator(f".action--{action}")
    if block.evaluate("node => node.tagName === 'DETAILS' && !node.open"):
        block.locator("summary").click()
    return block


def case_action(page, action: str, button: str, done: str) -> None:
    """Press an action's button on the case page and wait for the portal's confirmation."""
    action_on(page, action).get_by_role("button", name=button).click()
    page.get_by_text(done).wait_for()


def coordinator_triages_and_asks(desk: Person, reference: str) -> None:
    page = desk.page
    sign_in(desk, "coordinator")
    desk.step("04-queue")
    page.get_by_label("Search").fill(reference)
    page.get_by_role("button", name="Apply").click()
    desk.step("05-queue-search")
    page.get_by_role("link", name=reference).click()
    wait_for_photos(reference, 2)
    page.reload()
    assert wait_for_images(page, "img.photo-thumb") == 2
    desk.step("06-case")

    case_action(page, "start_triage", "Start triage", "Triage started.")
    ask = action_on(page, "request_info")
    ask.get_by_label("What do you need from the patient?").fill(QUESTION)
    case_action(
        page, "request_info", "Ask the patient for more", "Asked the patient for more information."
    )
    desk.step("07-case-asked")
    sign_out(desk)


def patient_answers_with_a_photo(patient: Person, status_link: str) -> None:
    page = patient.page
    page.goto(status_link)
    assert page.get_by_text(QUESTION).is_visible()
    page.get_by_label("Your answer").fill(ANSWER)
    page.get_by_label("Add photos").set_input_files([ADDED_PHOTO])
    patient.step("06-answer-filled")
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("your answer has reached the clinic").wait_for()
    patient.step("07-answer-sent")


def coordinator_routes(desk: Person, reference: str) -> None:
    page = desk.page
    sign_in(desk, "coordinator")
    page.goto(f"/staff/cases/{reference}/")
    # The answer heads the page, above the photos.
    assert page.locator(".case-latest").get_by_text(ANSWER).is_visible()
    wait_for_photos(reference, 3)
    page.reload()
    assert wait_for_images(page, "img.photo-thumb") == 3
    desk.step("08-case-answered")
    route = action_on(page, "route")
    route.get_by_label("Surgeon", exact=True).select_option(label="Surgeon Staff")
    route.get_by_label("Note for the surgeon").fill("Under-eye hollowing after a carbon peel.")
    case_action(page, "route", "Route to a surgeon", "Routed to Surgeon Staff.")
    desk.step("09-case-routed")
    sign_out(desk)


def surgeon_reviews(desk: Person, reference: str) -> None:
    page = desk.page
    sign_in(desk, "surgeon")
    page.get_by_role("heading", name="My cases").wait_for()
    desk.step("10-my-cases")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Compare side by side").click()
    assert wait_for_images(page, ".compare-grid img") == 3
    desk.step("11-compare")
    page.go_back()
    review = action_on(page, "record_review")
    review.get_by_label("Candidate for fat grafting").check()
    review.get_by_label("Assessment").fill("Volume loss suits fat grafting to the tear troughs.")
    desk.step("12-case-review")
    review.get_by_role("button", name="Record review").click()
    page.get_by_role("heading", name="My cases").wait_for()
    sign_out(desk)


def coordinator_closes(desk: Person, reference: str) -> None:
    page = desk.page
    sign_in(desk, "coordinator")
    page.goto(f"/staff/cases/{reference}/")
    action_on(page, "close").get_by_label("Outcome").select_option("consultation_booked")
    case_action(page, "close", "Close the case", "Case closed: consultation booked.")
    desk.step("13-case-closed")
    sign_out(desk)


def test_the_whole_journey(portal, chromium, coordinator_user, surgeon_user):
    patient = Person(chromium, portal.url, "patient", PHONE)
    desk = Person(chromium, portal.url, "staff", DESK)

    reference = submit_with_a_double_click(patient)
    confirmation = patient_email(portal, reference, "received")
    patient.page.goto(link_in(confirmation, portal.url))
    assert patient.page.get_by_test_id("reference").inner_text() == reference
    patient.step("04-status-from-email")

    coordinator_triages_and_asks(desk, reference)
    question_email = patient_email(portal, reference, "information|more")
    patient.page.goto(link_in(question_email, portal.url))
    patient.step("05-status-asked")
    patient_answers_with_a_photo(patient, link_in(question_email, portal.url))
    case = ConsultationRequest.objects.get(reference=reference)
    assert case.status == Status.IN_TRIAGE
    assert case.information_requests.get().answer == ANSWER
    assert case.photos.count() == 3

    coordinator_routes(desk, reference)
    surgeon_reviews(desk, reference)
    coordinator_closes(desk, reference)

    status_link = link_in(confirmation, portal.url)
    patient.page.goto(status_link)
    status = patient.page.locator(".status-card")
    assert status.get_by_role("heading", name="Closed").is_visible()
    closed_status = status.inner_text()
    patient.step("08-closed")

    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.outcome == "consultation_booked"
    assert list(case.status_changes.values_list("to_status", flat=True)) == [
        "in_triage",
        "awaiting_patient",
        "in_triage",
        "routed",
        "reviewed",
        "closed",
    ]
    patient.close()
    desk.close()
    the_same_pages_at_the_other_width(chromium, portal, reference, status_link)

    # The outcome in plain words, whatever the exact copy. Checked last so that
    # a wrong status text does not hide the pages above.
    assert "book" in closed_status.lower()


def the_same_pages_at_the_other_width(chromium, portal, reference: str, status_link: str):
    """Staff on a phone, the patient at a desk: the same pages, checked and photographed."""
    staff = Person(chromium, portal.url, "staff", PHONE)
    sign_in(staff, "coordinator")
    staff.step("04-queue")
    staff.page.goto(f"/staff/cases/{reference}/")
    wait_for_images(staff.page, "img.photo-thumb")
    staff.step("13-case-closed")
    staff.page.get_by_role("button", name="Compare side by side").click()
    wait_for_images(staff.page, ".compare-grid img")
    staff.step("11-compare")
    sign_out(staff)
    sign_in(staff, "surgeon")
    staff.page.goto("/staff/my-cases/?show=all")
    staff.step("10-my-cases")
    staff.close()

    patient = Person(chromium, portal.url, "patient", DESK)
    patient.page.goto("/")
    patient.step("01-form")
    patient.page.goto(status_link)
    patient.step("08-closed")
    patient.close()
