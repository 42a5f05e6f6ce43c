"""The photo step on a slow phone link: each photo uploads in the background with
its own progress, survives a field error and a failed upload, and is never
chosen twice; without JavaScript the plain form keeps its photos too. On the
portal as the clinic runs it, in Chromium throttled through the DevTools protocol.
"""

import io
import os
import shutil
import time

import pytest
from PIL import Image

from consultations.models import ConsultationRequest
from tests.browser import PHONE, Person, assert_accessible, fill_form, throttle
from tests.images import noisy_photos
from uploads.models import HeldUpload

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SLOTS = ["Front", "Left oblique", "Right oblique", "Left profile", "Right profile"]


@pytest.fixture(scope="module")
def phone_photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone-photos")
    return noisy_photos(folder, count=5, size=(1000, 750), noise=0.35, first=4100)


@pytest.fixture
def patient(portal, chromium):
    person = Person(chromium, portal.url, "patient", PHONE)
    yield person
    person.close()


def choose(page, slot: str, path) -> None:
    page.get_by_label(slot, exact=True).set_input_files(path)


def item(page, name: str):
    return page.locator(".photo-item", has_text=name)


def test_a_throttled_phone_sends_five_slots_fixes_a_mistake_and_never_chooses_twice(
    patient, phone_photos
):
    page = patient.page
    throttle(patient, upload_mbit=10)
    page.goto("/")
    fill_form(page)
    page.get_by_label("Date of birth").fill("2015-02-14")  # under 18: the mistake
    for slot, path in zip(SLOTS, phone_photos, strict=True):
        choose(page, slot, path)

    # Progress shows while the photos go, and the patient can keep typing.
    # A function, not an expression: Playwright polls an expression with eval,
    # which the production Content Security Policy (no 'unsafe-eval') refuses.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.photo-item__progress')]"
        ".some(bar => !bar.hidden && bar.value > 0 && bar.value < 100)"
    )
    patient.step("photos-uploading")
    page.get_by_role("button", name="Send my request").click()
    # Send waits for the photos, says so, then sends by itself.
    page.get_by_text("Your request will be sent as soon as").wait_for()
    patient.step("send-waits-for-photos")
    page.get_by_text("Please ask a parent or guardian").first.wait_for(timeout=60_000)
    patient.step("field-error-photos-kept")

    # Every photo is still there, in its slot, with its preview; none is chosen again.
    assert page.get_by_text("We kept the photos you chose").is_visible()
    for slot, path in zip(SLOTS, phone_photos, strict=True):
        slot_box = page.locator(".photo-slot", has=page.get_by_label(slot, exact=True))
        assert slot_box.get_by_text(f"Kept: {path.name}").is_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.kept-photo img')]"
        ".every(i => i.complete && i.naturalWidth > 0) "
        "&& document.querySelectorAll('.kept-photo img').length === 5"
    )
    assert ConsultationRequest.objects.count() == 0

    page.get_by_label("Date of birth").fill("1990-02-14")
    page.get_by_role("button", name="Send my request").click()
    reference = page.get_by_test_id("reference").inner_text()
    patient.step("sent-with-five-photos")
    case = ConsultationRequest.objects.get(reference=reference)
    assert sorted(case.photos.values_list("angle", flat=True)) == sorted(
        ["front", "left_oblique", "right_oblique", "left_profile", "right_profile"]
    )
    assert HeldUpload.objects.count() == 0


class BrokenStorage:
    """A real fault in the server's private storage: the originals directory
    cannot be written, because a file stands where it should be."""

    def __init__(self, root):
        self.target = root / "originals"
        self.aside = root / "originals.aside"

    def __enter__(self):
        if self.target.exists():
            os.replace(self.target, self.aside)
        self.target.write_bytes(b"not a directory")
        return self

    def mend(self):
        if self.target.is_file():
            self.target.unlink()
            if self.aside.exists():
                os.replace(self.aside, self.target)

    def __exit__(self, *exc):
        self.mend()
        shutil.rmtree(self.aside, ignore_errors=True)


def test_a_failed_upload_retries_by_itself_and_by_hand_without_resending_others(
    patient, portal, phone_photos
):
    page = patient.page
    throttle(patient, upload_mbit=10)
    page.goto("/")
    fill_form(page)
    posts = []
    page.on(
        "request",
        lambda r: posts.append(r) if r.method == "POST" and "/request/photos/" in r.url else None,
    )
    choose(page, "Front", phone_photos[0])
    item(page, phone_photos[0].name).get_by_text("Uploaded").wait_for(timeout=30_000)

    with patient.expect_status(503), BrokenStorage(portal.private_root) as broken:
        with page.expect_response(lambda r: "/request/photos/" in r.url and r.status == 503):
            choose(page, "Left profile", phone_photos[1])
        broken.mend()
        # Retried by itself a second later.
        item(page, phone_photos[1].name).get_by_text("Uploaded").wait_for(timeout=30_000)
    patient.step("retried-by-itself")

    with patient.expect_status(503), BrokenStorage(portal.private_root) as broken:
        choose(page, "Right profile", phone_photos[2])
        failed = item(page, phone_photos[2].name)
        failed.get_by_text("Please try again, or remove it").wait_for(timeout=40_000)
        patient.step("upload-failed")
        broken.mend()
        retry = failed.get_by_role("button", name=f"Try again {phone_photos[2].name}")
        retry.focus()
        page.keyboard.press("Enter")
        failed.get_by_text("Uploaded").wait_for(timeout=30_000)

    # The first photo went once; the second twice (503, then its retry); the
    # third four times by itself (503 each), then once by hand.
    assert len(posts) == 1 + 2 + 5
    page.get_by_role("button", name="Send my request").click()
    reference = page.get_by_test_id("reference").inner_text()
    case = ConsultationRequest.objects.get(reference=reference)
    assert sorted(case.photos.values_list("angle", flat=True)) == [
        "front",
        "left_profile",
        "right_profile",
    ]


@pytest.fixture
def patient_with_axe(portal, chromium):
    # bypass_csp: axe-core is injected as a script, which the pages' policy refuses.
    person = Person(chromium, portal.url, "patient-widget", PHONE, bypass_csp=True)
    yield person
    person.close()


def test_checks_and_hints_come_at_once_and_work_by_keyboard(patient_with_axe, axe_script, tmp_path):
    patient = patient_with_axe
    page = patient.page
    page.goto("/")
    too_big = tmp_path / "huge.jpg"
    too_big.write_bytes(os.urandom(20_500_000))
    dark = tmp_path / "dark.jpg"
    Image.new("RGB", (800, 600), (18, 16, 20)).save(dark, "JPEG")
    uploads = []
    page.on("request", lambda r: uploads.append(r) if "/request/photos/" in r.url else None)

    choose(page, "Front", too_big)
    refused = item(page, "huge.jpg")
    refused.get_by_text("“huge.jpg” is 20.5 MB; each photo may be at most 20 MB.").wait_for()
    assert not uploads  # refused before a byte was sent
    announcer = page.locator("[data-photo-announcer]").first
    page.wait_for_function(
        "el => el.textContent.includes('huge.jpg')", arg=announcer.element_handle()
    )

    choose(page, "Left oblique", dark)
    hinted = item(page, "dark.jpg")
    hinted.get_by_text("This photo looks dark").wait_for()
    hinted.get_by_text("Uploaded").wait_for(timeout=15_000)
    patient.step("refusal-and-hint")
    assert_accessible(page, axe_script)

    remove = hinted.get_by_role("button", name="Remove dark.jpg")
    remove.focus()
    page.keyboard.press("Enter")
    assert item(page, "dark.jpg").count() == 0
    page.wait_for_function(
        "el => el.textContent.includes('dark.jpg removed')", arg=announcer.element_handle()
    )
    # The removal goes to the server in the background: the held photo is deleted there.
    deadline = time.monotonic() + 10
    while HeldUpload.objects.exists() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert not HeldUpload.objects.exists()


def test_without_javascript_the_plain_form_keeps_its_photos_across_an_error(portal, chromium):
    patient = Person(chromium, portal.url, "no-js-patient", PHONE, java_script_enabled=False)
    try:
        page = patient.page
        page.goto("/")
        fill_form(page)
        page.get_by_label("Email address").fill("not an email")
        photo = io.BytesIO()
        Image.new("RGB", (900, 1200), (190, 150, 130)).save(photo, "JPEG")
        files = {"name": "side.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
        page.get_by_label("Left profile", exact=True).set_input_files(files)
        # Scripts are off in this page, so the preview is checked as it arrives.
        with page.expect_response(lambda r: "/preview/" in r.url) as preview:
            page.get_by_role("button", name="Send my request").click()
        assert preview.value.status == 200
        assert preview.value.headers["content-type"] == "image/jpeg"
        page.get_by_text("Kept: side.jpg").wait_for()
        patient.step("no-js-kept")
        page.get_by_label("Email address").fill("imogen.patient@example.org")
        page.get_by_role("button", name="Send my request").click()
        reference = page.get_by_test_id("reference").inner_text()
        case = ConsultationRequest.objects.get(reference=reference)
        assert list(case.photos.values_list("angle", flat=True)) == ["left_profile"]
    finally:
        patient.close()


def test_a_photo_removed_while_it_uploads_is_never_sent(patient, phone_photos):
    """Removed after its last byte left but before the server answered: the
    server may keep it, so the widget lets the answer come, then forgets that
    photo; a Send pressed meanwhile waits for both. (A long round trip makes
    the moment wide enough to click in.)"""
    page = patient.page
    throttle(patient, upload_mbit=10, latency_ms=1500)
    page.goto("/")
    fill_form(page)
    choose(page, "Front", phone_photos[0])
    front = item(page, phone_photos[0].name)
    front.get_by_text("the clinic's server is checking it").wait_for(timeout=30_000)
    front.get_by_role("button", name="Remove").click()
    choose(page, "Left profile", phone_photos[1])
    page.get_by_role("button", name="Send my request").click()
    reference = page.get_by_test_id("reference").inner_text(timeout=60_000)
    case = ConsultationRequest.objects.get(reference=reference)
    assert list(case.photos.values_list("angle", flat=True)) == ["left_profile"]
    assert not HeldUpload.objects.exists()
