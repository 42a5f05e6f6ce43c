"""PNG, WebP, HEIC and AVIF are decoded by libvips rather than Pillow: a file
cut anywhere is still refused, and so is every file Pillow's decode refused."""

import io
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from PIL import Image

from tests.images import FIXTURES, fixture_bytes
from tests.test_photo_corpus import corpus
from uploads import streamed
from uploads.apps import libvips_check
from uploads.streamed import LOADERS
from uploads.validation import PhotoRejected, inspect_photo, open_photo

LIMIT = 60_000_000


def check(content: bytes, name: str = "photo"):
    return inspect_photo(io.BytesIO(content), name=name, max_pixels=LIMIT)


def encoded(fmt: str, **options) -> bytes:
    """A real camera photo's pixels in another format, so the stream spans many rows."""
    buffer = io.BytesIO()
    with Image.open(FIXTURES / "DSCN0010.jpg") as photo:
        photo.save(buffer, fmt, **options)
    return buffer.getvalue()


PHOTOS = {
    "camera.png": lambda: encoded("PNG"),
    "grey_16bit.png": lambda: fixture_bytes("grey_16bit.png"),
    "camera.webp": lambda: encoded("WEBP", quality=85),
    "camera_lossless.webp": lambda: encoded("WEBP", lossless=True),
    "IMG_5195.HEIC": lambda: fixture_bytes("IMG_5195.HEIC"),
    "grey_10bit.heic": lambda: fixture_bytes("grey_10bit.heic"),
    "camera.avif": lambda: encoded("AVIF", quality=70),
    "android_sideways.avif": lambda: fixture_bytes("android_sideways.avif"),
}


@pytest.fixture(scope="module", params=PHOTOS, ids=str)
def photo(request) -> tuple[str, bytes]:
    return request.param, PHOTOS[request.param]()


def test_the_whole_photo_is_accepted(photo):
    name, content = photo
    assert check(content, name).size == len(content)


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_a_photo_cut_partway_is_refused(photo, share):
    name, content = photo
    # Whether the header or the pixels are cut decides which refusal it gets.
    with pytest.raises(PhotoRejected, match=f"^“{name}” (appears to be damaged|is not a photo)"):
        check(content[: int(len(content) * share)], name)


@pytest.mark.parametrize("missing", [1, 12, 100])
def test_a_photo_missing_its_last_bytes_is_refused(photo, missing):
    name, content = photo
    with pytest.raises(PhotoRejected, match=f"^“{name}” (appears to be damaged|is not a photo)"):
        check(content[:-missing], name)


def test_a_png_chunk_that_fails_its_crc_is_refused():
    content = bytearray(encoded("PNG"))
    content[-5] ^= 0xFF  # IEND's CRC: the pixels are intact
    with pytest.raises(PhotoRejected, match="appears to be damaged"):
        check(bytes(content))


def temporary_upload(name: str, content: bytes) -> TemporaryUploadedFile:
    """As Django keeps an upload over FILE_UPLOAD_MAX_MEMORY_SIZE: libvips reads it by path."""
    upload = TemporaryUploadedFile(name, "application/octet-stream", len(content), None)
    upload.write(content)
    upload.flush()
    return upload


@pytest.mark.parametrize("name", ["camera.png", "camera.webp", "IMG_5195.HEIC"])
def test_an_upload_kept_on_disk_is_decoded_from_its_file(name):
    content = PHOTOS[name]()
    with temporary_upload(name, content) as whole:
        assert inspect_photo(whole, name=name, max_pixels=LIMIT).size == len(content)
    cut = temporary_upload(name, content[: len(content) // 2])
    with cut, pytest.raises(PhotoRejected, match="appears to be damaged"):
        inspect_photo(cut, name=name, max_pixels=LIMIT)


def pillow_refuses(content: bytes) -> bool:
    """Whether Pillow's full decode, which validated these formats before, refuses the file."""
    try:
        with open_photo(io.BytesIO(content), max_pixels=LIMIT) as image:
            image.load()
    except Exception:
        return True
    return False


def refused(content: bytes) -> bool:
    try:
        check(content)
    except PhotoRejected:
        return True
    return False


def decoded_by_libvips(content: bytes) -> bool:
    try:
        with open_photo(io.BytesIO(content), max_pixels=LIMIT) as image:
            return image.format in LOADERS
    except Exception:
        return False


def test_every_corpus_file_pillow_refused_is_still_refused():
    contents = {path.name: path.read_bytes() for path in corpus()}
    refused_by_pillow = [
        name
        for name, content in contents.items()
        if decoded_by_libvips(content) and pillow_refuses(content)
    ]
    assert refused_by_pillow  # the fixtures hold some
    assert [name for name in refused_by_pillow if not refused(contents[name])] == []


def test_libvips_is_loaded_only_when_a_photo_needs_it():
    script = (
        "import io, sys, django; django.setup()\n"
        "from tests.images import image_bytes\n"
        "from uploads.validation import inspect_photo\n"
        "inspect_photo(io.BytesIO(image_bytes('JPEG')), name='a.jpg', max_pixels=10**7)\n"
        "assert 'pyvips' not in sys.modules, 'a JPEG loaded libvips'\n"
        "inspect_photo(io.BytesIO(image_bytes('PNG')), name='a.png', max_pixels=10**7)\n"
        "assert 'pyvips' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_a_server_without_libvips_says_so_rather_than_blame_the_photo(monkeypatch, caplog):
    monkeypatch.setattr(streamed, "libvips_missing", lambda: "libvips.so.42: cannot open")
    streamed._vips.cache_clear()
    try:
        with pytest.raises(PhotoRejected):
            check(encoded("PNG"))
    finally:
        streamed._vips.cache_clear()

    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "libvips (Debian's libvips42) cannot be loaded" in caplog.text
    assert [error.id for error in libvips_check(None)] == ["uploads.E001"]
