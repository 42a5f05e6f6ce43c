"""Uploads are trusted only after Pillow has decoded them in full."""

import io

import pytest

from tests.images import fixture_bytes, image_bytes
from uploads.validation import PhotoRejected, inspect_photo

LIMIT = 60_000_000


def check(content: bytes, name: str = "photo.jpg", max_pixels: int = LIMIT):
    return inspect_photo(io.BytesIO(content), name=name, max_pixels=max_pixels)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_it_accepts_common_photo_formats(fmt, content_type):
    facts = check(image_bytes(fmt, (320, 200)))
    assert (facts.content_type, facts.width, facts.height) == (content_type, 320, 200)
    assert len(facts.sha256) == 64


def test_it_accepts_an_iphone_heic():
    facts = check(fixture_bytes("IMG_5195.HEIC"), name="IMG_5195.HEIC")
    assert facts.content_type == "image/heif"
    assert facts.width * facts.height > 8_000_000


def test_it_accepts_a_camera_jpeg_with_exif():
    facts = check(fixture_bytes("DSCN0010.jpg"))
    assert (facts.width, facts.height) == (640, 480)


def test_a_48_megapixel_phone_photo_passes_the_default_limit():
    facts = check(image_bytes("JPEG", (8064, 6048), quality=50))
    assert facts.width * facts.height == 48_771_072


def test_it_refuses_a_photo_over_the_pixel_limit_naming_the_file():
    with pytest.raises(PhotoRejected, match="“big.jpg” is too large.*2 megapixels"):
        check(image_bytes("JPEG", (2000, 1500)), name="big.jpg", max_pixels=2_000_000)


def test_it_refuses_a_decompression_bomb():
    with pytest.raises(PhotoRejected, match="bomb.gif"):
        check(fixture_bytes("pillow_decompression_bomb.gif"), name="bomb.gif")


def test_it_refuses_a_bomb_that_only_makes_pillow_warn():
    # 100 MP is between Pillow's warning and error thresholds; our limit is lower.
    with pytest.raises(PhotoRejected, match="too large"):
        check(image_bytes("PNG", (10_000, 10_000)), name="wide.png")


def test_it_refuses_a_png_whose_text_chunks_explode():
    with pytest.raises(PhotoRejected, match="dos.png"):
        check(fixture_bytes("pillow_png_decompression_dos.png"), name="dos.png")


def test_it_refuses_a_truncated_jpeg():
    with pytest.raises(PhotoRejected, match="“cut.jpg” appears to be damaged"):
        check(fixture_bytes("pillow_truncated_jpeg.jpg"), name="cut.jpg")


def test_it_refuses_a_jpeg_cut_in_half():
    whole = image_bytes("JPEG", (1200, 900))
    with pytest.raises(PhotoRejected, match="damaged or incomplete"):
        check(whole[: len(whole) // 2], name="half.jpg")


def test_it_refuses_a_pdf_named_jpg():
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    with pytest.raises(PhotoRejected, match="“scan.jpg” is not a photo we can read"):
        check(pdf, name="scan.jpg")


def test_it_refuses_text_named_jpg():
    with pytest.raises(PhotoRejected, match="not a photo"):
        check(b"<script>alert(1)</script>", name="note.jpg")


def test_it_refuses_an_image_format_we_do_not_take():
    with pytest.raises(PhotoRejected, match="not a photo we can read"):
        check(image_bytes("GIF", (100, 100)), name="anim.jpg")
