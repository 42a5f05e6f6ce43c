"""Quality hints for staff: too dark, blurry or too small, measured while the
renditions are made, shown on the case and compare pages, never to the patient."""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from consultations.status_links import status_path
from tests.factories import ConsultationRequestFactory
from tests.images import fixture_bytes
from tests.photos import stored_photo
from tests.staff import coordinator, signed_in
from uploads.models import ProcessingStatus
from uploads.processing import (
    HINT_BLURRY,
    HINT_DARK,
    HINT_SMALL,
    QUALITY_MEASURE_LONG_SIDE,
    SMALL_SHORT_SIDE_BELOW,
    render_photo,
)
from uploads.services import photo_process

# Real photos (tests/fixtures/images/README.md): sharp and well lit. The three
# old camera JPEGs are 450-480 pixels on their short side, so they really are
# small for judging a face; the iPhone photo is not.
REAL_PHOTOS = {
    "DSCN0010.jpg": [HINT_SMALL],
    "portrait_6.jpg": [HINT_SMALL],
    "landscape_8.jpg": [HINT_SMALL],
    "IMG_5195.HEIC": [],
}


def quality(content: bytes):
    return render_photo(io.BytesIO(content), max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS).quality


def upright(name: str) -> Image.Image:
    with Image.open(io.BytesIO(fixture_bytes(name))) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def blurred(image: Image.Image, radius: float) -> bytes:
    """Blurred by ``radius`` pixels as seen on the measuring copy, whatever the size."""
    scale = max(1.0, max(image.size) / QUALITY_MEASURE_LONG_SIDE)
    return jpeg(image.filter(ImageFilter.GaussianBlur(radius * scale)))


def darkened(image: Image.Image, factor: float) -> bytes:
    return jpeg(ImageEnhance.Brightness(image).enhance(factor))


def shrunk(image: Image.Image, short_side: int) -> bytes:
    ratio = short_side / min(image.size)
    return jpeg(image.resize((round(image.width * ratio), round(image.height * ratio))))


# --- The measures ---------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_PHOTOS)
def test_a_sharp_well_lit_real_photo_is_neither_dark_nor_blurry(name):
    measured = quality(fixture_bytes(name))

    assert measured.hints == REAL_PHOTOS[name]
    assert measured.short_side == min(upright(name).size)


@pytest.mark.parametrize("name", ["DSCN0010.jpg", "portrait_6.jpg", "IMG_5195.HEIC"])
@pytest.mark.parametrize("radius", [2, 5])
def test_a_blurred_copy_is_flagged_blurry_and_nothing_else_new(name, radius):
    measured = quality(blurred(upright(name), radius))

    assert measured.hints == [HINT_BLURRY, *REAL_PHOTOS[name]]


@pytest.mark.parametrize("name", ["DSCN0010.jpg", "landscape_8.jpg", "IMG_5195.HEIC"])
@pytest.mark.parametrize("factor", [0.4, 0.25])
def test_a_darkened_copy_is_flagged_dark(name, factor):
    measured = quality(darkened(upright(name), factor))

    assert HINT_DARK in measured.hints
    assert measured.brightness < quality(fixture_bytes(name)).brightness * (factor + 0.05)


def test_a_downscaled_copy_of_a_large_photo_is_flagged_small():
    image = upright("IMG_5195.HEIC")
    assert min(image.size) >= SMALL_SHORT_SIDE_BELOW

    measured = quality(shrunk(image, 360))

    assert measured.hints == [HINT_SMALL]
    assert measured.short_side == 360


# --- Stored by the photo task ---------------------------------------------------


@pytest.mark.django_db
def test_the_photo_task_stores_the_measures_and_hints(private_root):
    dark = stored_photo(darkened(upright("DSCN0010.jpg"), 0.25))
    good = stored_photo(fixture_bytes("IMG_5195.HEIC"))

    for photo in (dark, good):
        assert photo_process(photo_id=photo.id) == ProcessingStatus.READY
        photo.refresh_from_db()

    assert dark.brightness < 60 and dark.sharpness > 0
    assert dark.quality_hints == [HINT_DARK, HINT_SMALL]
    assert good.brightness > 100 and good.sharpness > 100
    assert good.quality_hints == []


# --- Who sees them --------------------------------------------------------------


@pytest.fixture
def case_with_a_blurry_and_a_good_photo(db, private_root):
    case = ConsultationRequestFactory()
    blurry = stored_photo(blurred(upright("IMG_5195.HEIC"), 5), consultation=case)
    good = stored_photo(fixture_bytes("IMG_5195.HEIC"), consultation=case)
    for photo in (blurry, good):
        photo_process(photo_id=photo.id)
    return case


def hint_badges(html: str) -> list[str]:
    return [part.split("</span>")[0] for part in html.split('<span class="quality-hint">')[1:]]


def test_the_case_page_shows_a_flagged_photos_hint_in_words_and_nothing_for_a_good_one(
    client, case_with_a_blurry_and_a_good_photo
):
    case = case_with_a_blurry_and_a_good_photo
    signed_in(client, coordinator())

    html = client.get(reverse("staff:case_detail", args=[case.reference])).content.decode()

    # One badge in all: photo 1's; photo 2 carries none.
    assert hint_badges(html) == [HINT_BLURRY]
    assert "Photo 1 quality: </span>" in html
    assert "Photo 2 quality:" not in html


def test_the_compare_page_shows_the_hint_under_the_photo(
    client, case_with_a_blurry_and_a_good_photo
):
    case = case_with_a_blurry_and_a_good_photo
    signed_in(client, coordinator())

    html = client.get(reverse("staff:case_compare", args=[case.reference])).content.decode()

    assert hint_badges(html) == [HINT_BLURRY]


def test_the_patient_never_sees_a_quality_hint(client, case_with_a_blurry_and_a_good_photo):
    case = case_with_a_blurry_and_a_good_photo

    html = client.get(status_path(case)).content.decode()

    assert "quality-hint" not in html
    for hint in (HINT_BLURRY, HINT_DARK, HINT_SMALL):
        assert hint not in html
