"""Uploads are trusted only after they have been decoded in full."""

import io
import random
import struct

import pytest
from pi_heif.as_plugin import HeifImageFile
from PIL import Image, ImageFile

from tests.images import fixture_bytes, image_bytes
from uploads import validation
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


@pytest.fixture(scope="module", params=[False, True], ids=["baseline", "progressive"])
def large_noisy_jpeg(request) -> bytes:
    size = (2048, 1536)
    noise = random.Random(7).randbytes(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, noise).save(buffer, "JPEG", quality=90, progressive=request.param)
    return buffer.getvalue()


@pytest.mark.parametrize("missing", [2, 100, 10_000, 1_000_000])
def test_a_large_jpeg_cut_anywhere_is_refused(large_noisy_jpeg, missing):
    """JPEGs are decoded at 1/8 scale to spare the web worker's memory: the
    decoder still reads every byte of the stream, so even a lost end marker shows."""
    assert check(large_noisy_jpeg).width == 2048
    with pytest.raises(PhotoRejected, match="appears to be damaged"):
        check(large_noisy_jpeg[:-missing], name="cut.jpg")


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


# --- Issue 8: photos from the wild ----------------------------------------------


def test_an_mpo_is_accepted_as_the_jpeg_its_first_picture_is():
    content = fixture_bytes("stereo_camera.mpo")
    with Image.open(io.BytesIO(content)) as image:
        assert (image.format, image.n_frames) == ("MPO", 2)

    facts = check(content, name="DSCF0001.MPO")

    assert (facts.content_type, facts.width, facts.height) == ("image/jpeg", 320, 240)


def test_an_android_avif_is_accepted():
    facts = check(fixture_bytes("android_sideways.avif"), name="PXL_20261201.avif")
    assert (facts.content_type, facts.width, facts.height) == ("image/avif", 300, 200)


@pytest.mark.parametrize("fixture", ["grey_10bit.heic", "grey_12bit.heic", "grey_16bit.png"])
def test_high_bit_depth_grey_is_accepted(fixture):
    facts = check(fixture_bytes(fixture), name=fixture)
    assert (facts.width, facts.height) == (96, 64)


def test_a_heic_libheif_refuses_to_decode_is_refused_by_name_not_a_server_error():
    content = fixture_bytes("heic_security_limit.heic")
    # What used to escape as a 500: libheif's RuntimeError, raised on load.
    image = Image.open(io.BytesIO(content))
    with image, pytest.raises(RuntimeError, match="Security limit exceeded"):
        image.load()

    with pytest.raises(PhotoRejected, match="“IMG_0042.HEIC” appears to be damaged"):
        check(content, name="IMG_0042.HEIC")


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("Security limit exceeded"),
        OSError("broken data stream"),
        ValueError("Decoder plugin generated an error"),
        SyntaxError("not a JPEG file"),
        EOFError(),
        MemoryError(),
        struct.error("unpack requires a buffer of 4 bytes"),
        IndexError("list index out of range"),
        Image.DecompressionBombError("a frame too large"),
        AssertionError("a decoder bug nobody expected"),
    ],
    ids=type,
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])  # decoded by Pillow; by libvips
def test_any_error_a_decoder_raises_is_a_refusal_naming_the_file(monkeypatch, error, fmt):
    def failing_decode(*args):
        raise error

    monkeypatch.setattr(ImageFile.ImageFile, "load", failing_decode)
    monkeypatch.setattr(validation, "decode_streamed", failing_decode)

    with pytest.raises(PhotoRejected, match="^“odd” "):
        check(image_bytes(fmt, (64, 48)), name="odd")


# One message for too many pixels, whatever the format and however it is found.


def expected_too_large(name: str, width: int, height: int, megapixels: str = "60") -> str:
    return (
        f"“{name}” is too large ({width:,}×{height:,} pixels); "
        f"photos may have at most {megapixels} megapixels."
    )


def rejection(content: bytes, name: str, max_pixels: int = LIMIT) -> str:
    with pytest.raises(PhotoRejected) as refused:
        check(content, name=name, max_pixels=max_pixels)
    return str(refused.value)


def test_a_200_megapixel_heic_gets_the_same_message_as_a_large_jpeg():
    # Pillow refuses this one itself (over twice its limit) before we see the size.
    content = fixture_bytes("declares_200_megapixels.heic")
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(content))

    assert rejection(content, "IMG_9000.HEIC") == expected_too_large("IMG_9000.HEIC", 16000, 12500)
    assert rejection(image_bytes("JPEG", (2000, 1500)), "big.jpg", 2_000_000) == (
        expected_too_large("big.jpg", 2000, 1500, "2")
    )


def test_sizes_between_pillows_warning_and_its_error_get_the_same_message():
    # 100 MP: over our limit and Pillow's, under twice Pillow's (a warning only).
    assert rejection(image_bytes("PNG", (10_000, 10_000)), "wide.png") == (
        expected_too_large("wide.png", 10_000, 10_000)
    )


def test_a_limit_that_is_not_whole_megapixels_reads_naturally():
    message = rejection(image_bytes("PNG", (1000, 600)), "p.png", max_pixels=500_000)
    assert message == expected_too_large("p.png", 1000, 600, "0.5")


def test_a_small_file_declaring_a_huge_image_is_refused_without_decoding_it(monkeypatch):
    content = fixture_bytes("declares_10_gigapixels.png")
    assert len(content) < 100

    def no_decoding(self):
        raise AssertionError("a bomb must be refused from its header alone")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)

    assert rejection(content, "bomb.png") == expected_too_large("bomb.png", 100_000, 100_000)
    # Reading the size without Pillow's guard did not leave the guard off.
    assert Image.MAX_IMAGE_PIXELS is not None


def test_the_limit_is_checked_before_decoding_for_every_format(monkeypatch):
    def no_decoding(self):
        raise AssertionError("the declared size must be checked first")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(HeifImageFile, "load", no_decoding)  # pi_heif decodes in its own
    for fixture in ("IMG_5195.HEIC", "android_sideways.avif", "stereo_camera.mpo"):
        message = rejection(fixture_bytes(fixture), fixture, max_pixels=1_000)
        assert message.startswith(f"“{fixture}” is too large ("), message


def test_a_jpeg_with_html_appended_is_taken_for_its_pixels_only():
    # Phones append data after a JPEG's end (Samsung trailers, Google motion
    # photos), so trailing bytes are not refused: only decoded pixels are ever
    # re-encoded and shown (see test_photo_processing), never these bytes.
    content = fixture_bytes("html_appended.jpg")
    assert b"<script>" in content
    facts = check(content, name="note.jpg")
    assert (facts.content_type, facts.width, facts.height) == ("image/jpeg", 64, 48)


@pytest.fixture
def heif_not_registered(monkeypatch):
    """A process that has not seen a HEIC yet: pi-heif is not among Pillow's openers."""
    monkeypatch.setattr(Image, "OPEN", {k: v for k, v in Image.OPEN.items() if k != "HEIF"})
    validation._heif_registered.cache_clear()
    yield
    validation._heif_registered.cache_clear()


def test_the_first_heic_a_process_sees_registers_its_decoder_and_is_accepted(
    heif_not_registered,
):
    assert check(image_bytes("JPEG", (32, 24))).content_type == "image/jpeg"
    assert "HEIF" not in Image.OPEN  # a JPEG does not load libheif
    facts = check(fixture_bytes("IMG_5195.HEIC"), name="IMG_5195.HEIC")
    assert facts.content_type == "image/heif"
    assert "HEIF" in Image.OPEN


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # An ISO media file that is no image (a video's header): libheif is
        # loaded for it, and it is refused all the same.
        ("clip.heic", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64),
        # A HEIC header in front of a JPEG: neither decoder takes the mixture.
        (
            "mixed.heic",
            fixture_bytes("IMG_5195.HEIC")[:64] + image_bytes("JPEG", (32, 24)),
        ),
        # A JPEG's first bytes in front of a page: a JPEG that never decodes.
        ("page.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>x()</script></html>"),
        # A PDF carrying a JPEG: what opens it is the PDF header, which we do not take.
        ("scan.jpg", b"%PDF-1.4\n1 0 obj\n<<>>\nstream\n" + image_bytes("JPEG", (32, 24))),
    ],
    ids=["mp4-header", "heic-header-jpeg-body", "jpeg-header-html", "pdf-with-jpeg"],
)
def test_polyglots_whose_first_format_does_not_decode_are_refused(
    heif_not_registered, name, content
):
    message = rejection(content, name)
    assert message.startswith(f"“{name}”"), message


def test_a_truncated_heic_header_is_refused(heif_not_registered):
    content = fixture_bytes("IMG_5195.HEIC")
    message = rejection(content[: len(content) // 50], "cut.heic")
    assert message.startswith("“cut.heic”"), message
