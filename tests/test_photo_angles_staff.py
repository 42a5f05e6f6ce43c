"""Staff see a case's photos in angle order, each named in words under it, and
the photos the patient added later marked as such: on the case page and the
compare page alike."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.browser import PHONE, Person, sign_in, wait_for_images
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import case_page_queries, signed_in
from uploads.services import photo_process

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "photo-angles"
LATER = "Added later, with the patient's answer"
# Sent in this order: added later first, the guided angles shuffled, and a
# photo from before angles were kept (no angle) among them.
SENT = [
    "added_later",
    "right_profile",
    "other",
    "front",
    "",
    "left_oblique",
    "added_later",
    "left_profile",
    "right_oblique",
]
# A photo without an angle ranks with "other", after the one sent before it.
SHOWN = [
    "Front",
    "Left oblique",
    "Right oblique",
    "Left profile",
    "Right profile",
    "Other photo",
    "Photo 7",
    LATER,
    LATER,
]
ANGLE_WORDS = re.compile(r'<p class="photo-angle[^"]*">([^<]*)</p>')


def case_with_photos(angles):
    """A case with a processed photo per angle, sent in the order given."""
    case = ConsultationRequestFactory()
    photos = [stored_photo(image_bytes(size=(48, 64)), consultation=case, angle=a) for a in angles]
    for photo in photos:
        photo_process(photo_id=photo.id)
    return case, photos


def angle_words(html: str) -> list[str]:
    return [word.replace("&#x27;", "'") for word in ANGLE_WORDS.findall(html)]


def page(client, name: str, case, **query) -> str:
    response = client.get(reverse(name, args=[case.reference]), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def scrambled(db, private_root):
    return case_with_photos(SENT)


def test_the_case_page_lists_photos_in_angle_order_with_their_angle_in_words(
    client, coordinator_user, scrambled
):
    case, photos = scrambled
    signed_in(client, coordinator_user)

    html = page(client, "staff:case_detail", case)

    assert angle_words(html) == SHOWN
    assert html.count('class="photo-angle photo-angle--later"') == 2
    # The thumbnails and the compare boxes follow the same order.
    expected_ids = [str(photos[SENT.index("front")].pk), str(photos[SENT.index("left_oblique")].pk)]
    boxes = re.findall(r'name="photo" value="([^"]+)"', html)
    assert boxes[:2] == expected_ids
    assert boxes[-2:] == [str(photos[0].pk), str(photos[6].pk)]
    assert 'alt="Front"' in html


def test_the_compare_page_shows_the_same_order_and_words(client, coordinator_user, scrambled):
    case, _ = scrambled
    signed_in(client, coordinator_user)

    html = page(client, "staff:case_compare", case)

    assert angle_words(html) == SHOWN
    assert html.count("photo-angle--later") == 2


def test_photos_chosen_for_comparison_keep_angle_order_whatever_order_they_were_ticked(
    client, coordinator_user, scrambled
):
    case, photos = scrambled
    signed_in(client, coordinator_user)
    ticked = [photos[0], photos[3], photos[1]]  # added later, front, right profile

    html = page(client, "staff:case_compare", case, photo=[str(p.pk) for p in ticked])

    assert angle_words(html) == ["Front", "Right profile", LATER]


def test_the_case_page_takes_as_many_queries_for_six_photos_and_messages_as_for_two(
    client, coordinator_user, private_root
):
    few, _ = case_with_photos(["front", "added_later"])
    many, _ = case_with_photos(["added_later", "other", "front", "", "left_profile", "front"])
    # And messages to the patient, listed on the page too.
    for channel in ("email", "sms", "sms"):
        Notification.objects.create(
            consultation=many,
            event="request_confirmation",
            channel=channel,
            recipient_kind="patient",
            status="sent",
        )
    signed_in(client, coordinator_user)
    counted = case_page_queries(client, [few, many])

    assert counted[0] == counted[1], counted


# --- Looked at in Chromium: screenshots in test-artifacts/photo-angles/ --------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "device", [PHONE, {"viewport": {"width": 1280, "height": 900}}], ids=["390", "1280"]
)
def test_the_case_page_with_seven_angles_in_chromium(
    portal, chromium, settings, coordinator_user, device
):
    # The photos are processed here, into the private files the portal serves.
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            **settings.STORAGES["private"],
            "OPTIONS": {
                **settings.STORAGES["private"]["OPTIONS"],
                "location": str(portal.private_root),
            },
        },
    }
    case, _ = case_with_photos(
        [
            "added_later",
            "right_profile",
            "other",
            "front",
            "left_oblique",
            "right_oblique",
            "left_profile",
        ]
    )
    person = Person(chromium, portal.url, "photo-angles", device)
    try:
        sign_in(person, coordinator_user.username)
        person.page.goto(reverse("staff:case_detail", args=[case.reference]))
        assert wait_for_images(person.page, ".photo-grid img") == 7
        words = person.page.locator(".photo-angle").all_inner_texts()
        assert words == SHOWN[:6] + [LATER]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        width = device["viewport"]["width"]
        photos = person.page.locator("#photos-h").locator("..")
        photos.screenshot(path=ARTIFACTS / f"case-photos-{width}.png")
        person.page.screenshot(path=ARTIFACTS / f"case-{width}.png", full_page=True)
        person.page.get_by_role("button", name="Compare side by side").click()
        assert wait_for_images(person.page, ".compare-grid img") == 7
        person.page.screenshot(path=ARTIFACTS / f"compare-{width}.png", full_page=True)
        person.check()
    finally:
        person.close()
