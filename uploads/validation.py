"""Decide whether an uploaded file is a photo we accept, by decoding it.

The browser's file name and content type are ignored: only a full decode by
Pillow, restricted to the formats we take, proves the bytes are an image.
"""

import hashlib
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image

# Pillow's format name -> the content type we record.
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
}
ACCEPTED_FORMATS_TEXT = "JPEG, PNG, WebP or HEIC"


class PhotoRejected(ValueError):
    """The file is not a photo we can accept; the message is shown to the patient."""


@dataclass(frozen=True)
class PhotoFacts:
    content_type: str
    width: int
    height: int
    size: int
    sha256: str


def inspect_photo(fileobj: IO[bytes], *, name: str, max_pixels: int) -> PhotoFacts:
    """Decode the whole file; raise PhotoRejected with a message naming the file."""
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice its limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj, formats=list(ACCEPTED_FORMATS)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise PhotoRejected(
                        f"“{name}” is too large ({width}×{height} pixels); "
                        f"photos may have at most {max_pixels // 1_000_000} megapixels."
                    )
                image_format = image.format
                if image_format == "JPEG":
                    # Decoding at 1/8 scale still reads every byte of the stream
                    # (a truncated file fails) at a fraction of the memory.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except PhotoRejected:
        raise
    except Image.UnidentifiedImageError:
        raise PhotoRejected(
            f"“{name}” is not a photo we can read. Please upload a {ACCEPTED_FORMATS_TEXT} image."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(
            f"“{name}” declares an image far too large to open safely and was refused."
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise PhotoRejected(
            f"“{name}” appears to be damaged or incomplete. Please choose the photo again, "
            "or export it from your photo app once more."
        ) from None

    return PhotoFacts(
        content_type=ACCEPTED_FORMATS[image_format],
        width=width,
        height=height,
        size=_size(fileobj),
        sha256=_sha256(fileobj),
    )


def _size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def _sha256(fileobj: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()
