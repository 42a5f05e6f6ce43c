"""Images made in the tests, and the real ones copied into tests/fixtures/images."""

import io
import random
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

FIXTURES = Path(__file__).parent / "fixtures" / "images"


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), **save_args) -> bytes:
    image = Image.new("RGB", size, (200, 170, 150))
    # A little structure so encoders produce realistic, non-trivial streams.
    for x in range(0, size[0], 16):
        image.putpixel((x, size[1] // 2), (20, 40, 60))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_args)
    return buffer.getvalue()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg_upload(name: str = "front.jpg", size: tuple[int, int] = (640, 480)) -> SimpleUploadedFile:
    return upload(name, image_bytes("JPEG", size))


def noisy_photos(folder: Path, *, count: int, size: tuple[int, int], noise: float, first: int):
    """Phone-like JPEG files whose size JPEG cannot shrink much: noise over a skin
    tone (``noise`` from 0 to 1 sets how much, and so the file size)."""
    rng = random.Random(first)
    paths = []
    for number in range(count):
        speckle = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
        photo = Image.blend(Image.new("RGB", size, (196, 160, 140)), speckle, noise)
        path = folder / f"IMG_{first + number}.jpg"
        photo.save(path, "JPEG", quality=97)
        paths.append(path)
    return paths
