"""The whole journey in Chromium: patient, coordinator, surgeon, coordinator, patient."""

import pytest

from consultations.models import ConsultationRequest, Status
from tests.images import FIXTURES, image_bytes
from tests.staff import PASSWORD
from tests.test_browser_submit import SCREENSHOTS, consent, fill_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(base + "/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Staff sign-in").wait_for()


def test_the_whole_journey(
    live_server, chromium, phone_page, tmp_path, coordinator_user, surgeon_user
):
    base = live_server.url
    photo = tmp_path / "front.jpg"
    photo.write_bytes(image_bytes("JPEG", (900, 1200)))

    # The patient, on a phone.
    patient = phone_page
    patient.goto(base + "/")
    fill_form(patient)
    patient.get_by_label("Choose your photos").set_input_files(
        [str(photo), str(FIXTURES / "IMG_5195.HEIC")]
    )
    consent(patient)
    patient.get_by_role("button", name="Send my request").click()
    reference = patient.get_by_test_id("reference").inner_text()
    status_url = patient.url
    assert patient.get_by_role("heading", name="Received").is_visible()

    # The coordinator, at a desk, finds it by reference and routes it.
    desk = chromium.new_context(viewport={"width": 1366, "height": 900})
    staff = desk.new_page()
    staff.goto(base + "/staff/")
    staff.screenshot(path=f"{SCREENSHOTS}/desk-sign-in.png")
    sign_in(staff, base, "coordinator")
    staff.get_by_label("Search").fill(reference.lower())
    staff.get_by_role("button", name="Apply").click()
    staff.screenshot(path=f"{SCREENSHOTS}/desk-queue.png", full_page=True)
    staff.get_by_role("link", name=reference).click()
    staff.screenshot(path=f"{SCREENSHOTS}/desk-case-submitted.png", full_page=True)

    # Both photos, the iPhone HEIC included, display in the browser side by side.
    staff.get_by_role("button", name="Compare side by side").click()
    staff.get_by_role("heading", name="Photos side by side").wait_for()
    images = staff.locator(".compare-grid img")
    images.first.wait_for()
    assert images.count() == 2
    # A broken image completes with naturalWidth 0, so this times out on failure.
    staff.wait_for_function(
        "() => [...document.querySelectorAll('.compare-grid img')]"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=10_000,
    )
    staff.screenshot(path=f"{SCREENSHOTS}/desk-compare.png", full_page=True)
    staff.go_back()
    route = staff.locator("section.action--route")
    route.get_by_label("Surgeon", exact=True).select_option(label="Surgeon Staff")
    route.get_by_label("Note for the surgeon").fill("Under-eye hollowing after laser.")
    route.get_by_role("button", name="Route to a surgeon").click()
    staff.get_by_text("Route to a surgeon: done.").wait_for()
    patient.goto(status_url)
    assert patient.get_by_role("heading", name="With a surgeon").is_visible()
    sign_out(staff)

    # The surgeon reviews it.
    sign_in(staff, base, "surgeon")
    staff.get_by_role("link", name=reference).click()
    review = staff.locator("section.action--record_review")
    review.get_by_label("Candidate for fat grafting").check()
    review.get_by_label("Assessment").fill("Volume loss suits fat grafting to the tear troughs.")
    staff.screenshot(path=f"{SCREENSHOTS}/desk-case-review.png", full_page=True)
    review.get_by_role("button", name="Record review").click()
    staff.get_by_role("heading", name="My cases").wait_for()
    patient.goto(status_url)
    assert patient.get_by_role("heading", name="Review complete").is_visible()
    sign_out(staff)

    # The coordinator closes it.
    sign_in(staff, base, "coordinator")
    staff.goto(base + f"/staff/cases/{reference}/")
    close = staff.locator("section.action--close")
    close.get_by_label("Outcome").select_option("consultation_booked")
    close.get_by_role("button", name="Close the case").click()
    staff.get_by_text("Close the case: done.").wait_for()
    staff.screenshot(path=f"{SCREENSHOTS}/desk-case-closed.png", full_page=True)
    desk.close()

    patient.goto(status_url)
    assert patient.get_by_role("heading", name="Closed").is_visible()
    patient.screenshot(path=f"{SCREENSHOTS}/phone-status-closed.png", full_page=True)

    case = ConsultationRequest.objects.get(reference=reference)
    assert case.status == Status.CLOSED and case.outcome == "consultation_booked"
    assert list(case.status_changes.values_list("to_status", flat=True)) == [
        "routed",
        "reviewed",
        "closed",
    ]
