"""The surgeons' photo viewer at tablet size, in Chromium on the portal as the
clinic runs it: full screen, zoom and pan, keyboard and swipe, two photos side
by side moving together, every picture through the checked rendition view.
Screenshots in test-artifacts/photo-viewer/."""

from pathlib import Path

import pytest
from django.urls import reverse

from consultations.models import AccessRecord
from tests.browser import TABLET, Person, sign_in, wait_for_images
from tests.case_steps import routed
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes
from tests.photos import stored_photo
from uploads.services import photo_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "photo-viewer"

TRANSFORMS = (
    "() => [...document.querySelectorAll('.viewer__pane:not([hidden]) img')]"
    ".map(img => img.style.transform)"
)


@pytest.fixture
def case_with_three_photos(portal, settings, coordinator_user, surgeon_user):
    # Processed here, into the private files the portal serves.
    private = settings.STORAGES["private"]
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            **private,
            "OPTIONS": {**private["OPTIONS"], "location": str(portal.private_root)},
        },
    }
    case = ConsultationRequestFactory()
    for angle in ("front", "left_profile", "right_profile"):
        photo_process(
            photo_id=stored_photo(image_bytes(size=(300, 400)), consultation=case, angle=angle).id
        )
    return routed(case=case, by=coordinator_user, surgeon=surgeon_user)


def shot(person, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=str(ARTIFACTS / f"{name}-820.png"))


def test_a_surgeon_zooms_pans_and_compares_two_photos_on_a_tablet(
    portal, chromium, surgeon_user, case_with_three_photos
):
    case = case_with_three_photos
    person = Person(chromium, portal.url, "photo-viewer", TABLET)
    try:
        page = person.page
        sign_in(person, surgeon_user.username)
        page.goto(reverse("staff:case_detail", args=[case.reference]))
        assert wait_for_images(page, ".photo-grid img") == 3
        before = AccessRecord.objects.filter(view="uploads:photo_rendition").count()

        page.locator(".photo-grid a[data-viewer-src]").first.click()
        viewer = page.locator("dialog.viewer")
        viewer.wait_for()
        assert viewer.get_by_role("heading").inner_text() == "Front"
        assert wait_for_images(page, ".viewer__pane:not([hidden]) img") == 1
        box = viewer.bounding_box()
        assert (box["width"], box["height"]) == (820, 1180)  # the whole screen
        # The picture came through the checked view, as a review rendition.
        front = case.photos.get(angle="front")
        src = page.locator(".viewer__pane img").first.get_attribute("src")
        assert src == reverse("uploads:photo_rendition", args=[front.id, "review"])
        assert AccessRecord.objects.filter(view="uploads:photo_rendition").count() > before

        page.keyboard.press("ArrowRight")
        assert viewer.get_by_role("heading").inner_text() == "Left profile"
        # A swipe to the left (a drag, unzoomed) shows the next photo.
        frame = page.locator(".viewer__frame").first.bounding_box()
        middle_y = frame["y"] + frame["height"] / 2
        page.mouse.move(frame["x"] + frame["width"] * 0.8, middle_y)
        page.mouse.down()
        page.mouse.move(frame["x"] + frame["width"] * 0.2, middle_y, steps=5)
        page.mouse.up()
        assert viewer.get_by_role("heading").inner_text() == "Right profile"
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        shot(person, "one")

        # Side by side: zoom and pan act on both photos alike.
        viewer.get_by_role("button", name="Side by side").click()
        assert viewer.get_by_role("heading").inner_text() == "Front and Left profile"
        assert wait_for_images(page, ".viewer__pane:not([hidden]) img") == 2
        viewer.get_by_role("button", name="Zoom in").click()
        page.keyboard.press("+")
        frame = page.locator(".viewer__frame").first.bounding_box()
        cx, cy = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + 60, cy + 40, steps=4)
        page.mouse.up()
        left, right = page.evaluate(TRANSFORMS)
        assert left == right == "translate(60px, 40px) scale(2.25)", (left, right)
        shot(person, "side-by-side-zoomed")
        # The arrows change the right-hand photo; the left one stays.
        page.keyboard.press("ArrowRight")
        assert viewer.get_by_role("heading").inner_text() == "Front and Right profile"
        assert page.evaluate(TRANSFORMS) == ["translate(0px, 0px) scale(1)"] * 2

        page.keyboard.press("Escape")
        assert not viewer.is_visible()
        person.check()
    finally:
        person.close()


def test_without_javascript_each_link_opens_its_rendition(
    portal, chromium, surgeon_user, case_with_three_photos
):
    case = case_with_three_photos
    person = Person(chromium, portal.url, "photo-viewer-no-js", TABLET, java_script_enabled=False)
    try:
        page = person.page
        sign_in(person, surgeon_user.username)
        page.goto(reverse("staff:case_compare", args=[case.reference]))
        link = page.locator("a[data-viewer-src]").first
        href = link.get_attribute("href")
        response = page.request.get(href)
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
        assert not page.locator("dialog.viewer").is_visible()
        person.check()
    finally:
        person.close()
