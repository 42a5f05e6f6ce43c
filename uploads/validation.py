"""Decide whether an uploaded file is a photo we accept, by decoding it.

The browser's file name and content type are ignored: only a full decode,
restricted to the formats we take, proves the bytes are an image. Pillow
opens every upload; PNG, WebP, HEIC and AVIF are then decoded by libvips
(streamed.py), which holds less than Pillow would, and for PNG and lossy WebP
only a few rows.
Whatever a decoder raises on bytes it cannot read becomes a refusal naming
the file, never an error page.
"""

import functools
import logging
import struct
import threading
import warnings
from dataclasses import dataclass
from typing import IO

from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image

from .streamed import LOADERS as STREAMED_FORMATS
from .streamed import decode_streamed

logger = logging.getLogger(__name__)

# Pillow's format name -> the content type we record.
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    # A multi-picture JPEG (3D cameras, some phones): its first picture is an
    # ordinary JPEG, which is all anyone decodes, so it is kept as one.
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
}
# Lazy: the "or" is read in the language of the page or message that shows it.
ACCEPTED_FORMATS_TEXT = _("JPEG, PNG, WebP, HEIC or AVIF")
# The file input's ``accept``: types, and extensions for systems that know no
# type for a file (HEIC and AVIF on older Windows and Android, MPO anywhere).
ACCEPTED_FILE_TYPES = ",".join(
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
        ".jpg",
        ".jpeg",
        ".png",
        ".webp",
        ".heic",
        ".heif",
        ".avif",
        ".mpo",
    ]
)

# What Pillow and its plugins raise on bytes they cannot decode: truncated
# streams give OSError or EOFError, header parsers struct.error, IndexError or
# SyntaxError, libheif RuntimeError ("Security limit exceeded", "Invalid
# input") and libavif or WebP ValueError. None of them is worth retrying.
DECODE_ERRORS = (
    OSError,
    ValueError,
    RuntimeError,
    SyntaxError,
    EOFError,
    MemoryError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
)


class PhotoRejected(ValueError):
    """The file is not a photo we can accept; the message is shown to the patient."""


class PixelLimitExceeded(Exception):
    """The image declares more pixels than allowed; nothing was decoded."""

    def __init__(self, width: int, height: int, max_pixels: int):
        super().__init__(f"{width}×{height} pixels, limit {max_pixels}")
        self.width = width
        self.height = height
        self.max_pixels = max_pixels

    def describe(self) -> str:
        """E.g. "is too large (16,000×12,500 pixels); photos may have at most 60 megapixels"."""
        return (
            f"is too large ({self.width:,}×{self.height:,} pixels); "
            f"photos may have at most {megapixels(self.max_pixels)} megapixels"
        )

    def refusal(self, name: str) -> str:
        """What the patient reads, in their language."""
        return gettext(
            "“%(name)s” is too large (%(width)s×%(height)s pixels); photos may have at most "
            "%(most)s megapixels."
        ) % {
            "name": name,
            "width": number_format(self.width, force_grouping=True),
            "height": number_format(self.height, force_grouping=True),
            "most": megapixels(self.max_pixels),
        }


@dataclass(frozen=True)
class PhotoFacts:
    content_type: str
    width: int
    height: int
    size: int


def inspect_photo(fileobj: IO[bytes], *, name: str, max_pixels: int) -> PhotoFacts:
    """Decode the whole file; raise PhotoRejected with a message naming the file."""
    try:
        with open_photo(fileobj, max_pixels=max_pixels) as image:
            width, height = image.size
            # Pillow names the format of every file it opens (None is for
            # images made in memory).
            image_format = image.format or ""
            if image_format in ("JPEG", "MPO"):
                # Decoding at 1/8 scale still reads every byte of the stream
                # (a truncated file fails) at a fraction of the memory.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            streamed = image_format in STREAMED_FORMATS and not _animated_png(image)
            if not streamed:
                image.load()
        if streamed:
            decode_streamed(fileobj, image_format)
    except PixelLimitExceeded as too_large:
        raise PhotoRejected(too_large.refusal(name)) from None
    except Image.UnidentifiedImageError:
        raise PhotoRejected(_not_a_photo(name)) from None
    except Image.DecompressionBombError:
        # A plugin's own check while decoding; the declared size was allowed.
        raise PhotoRejected(PixelLimitExceeded(width, height, max_pixels).refusal(name)) from None
    except DECODE_ERRORS as error:
        logger.info("upload refused, decoder raised %s", type(error).__name__)
        raise PhotoRejected(_damaged(name)) from None
    except Exception:
        # Not an error we know a decoder to raise: refuse the file all the
        # same (the patient can do nothing else), and leave a trace to look at.
        logger.exception("upload refused on an unexpected decoder error")
        raise PhotoRejected(_damaged(name)) from None

    content_type = ACCEPTED_FORMATS.get(image_format)
    if content_type is None:
        logger.warning("a plugin opened an upload as unexpected format %s", image_format)
        raise PhotoRejected(_not_a_photo(name))
    return PhotoFacts(
        content_type=content_type,
        width=width,
        height=height,
        size=_size(fileobj),
    )


def _animated_png(image: Image.Image) -> bool:
    """An APNG: Pillow checks its frame sequence as it decodes, libvips never
    looks past the first frame, and no phone takes one, so Pillow keeps it."""
    return image.format == "PNG" and getattr(image, "is_animated", False)


def open_photo(fileobj: IO[bytes], *, max_pixels: int) -> Image.Image:
    """Open an upload in one of the accepted formats, having read only its header.

    Raises PixelLimitExceeded when the declared size is over ``max_pixels``
    (before a single pixel is decoded, whatever the format), and otherwise
    whatever Pillow raises: UnidentifiedImageError or one of DECODE_ERRORS.
    The caller closes the image.
    """
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it; our own limit,
            # which is never above Pillow's (see UploadsConfig), is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fileobj, formats=_openers(fileobj))
    except Image.DecompressionBombError:
        # Raised before the size can be seen: read it from the header alone.
        width, height = _declared_size(fileobj)
        raise PixelLimitExceeded(width, height, max_pixels) from None
    if image.width * image.height > max_pixels:
        width, height = image.size
        image.close()
        raise PixelLimitExceeded(width, height, max_pixels)
    return image


def _openers(fileobj: IO[bytes]) -> list[str]:
    """The accepted formats Pillow can open here.

    MPO has no opener of its own (JPEG's opens it), and a Pillow built
    without libavif has no AVIF: naming either would raise KeyError.
    """
    if "HEIF" not in Image.OPEN and _iso_media(fileobj):
        _heif_registered()
    Image.init()
    return [name for name in ACCEPTED_FORMATS if name in Image.OPEN]


def _iso_media(fileobj: IO[bytes]) -> bool:
    """An ISO base media file (HEIC, AVIF, a video): its first box is "ftyp".

    pi-heif's opener accepts nothing else, so registering it only for these
    files opens exactly what registering it at start would have opened.
    """
    position = fileobj.tell()
    head = fileobj.read(12)
    fileobj.seek(position)
    return head[4:8] == b"ftyp"


@functools.cache
def _heif_registered() -> None:
    """Register pi-heif with Pillow, once: it loads libheif and its codecs
    (several MiB in every process that imports it), which only a HEIC needs."""
    from pi_heif import register_heif_opener

    register_heif_opener()


# Pillow's guard is one global; whoever lifts it does so under this lock, so
# that two lifts at once cannot leave it lifted.
_GUARD_LIFTED = threading.Lock()


def _declared_size(fileobj: IO[bytes]) -> tuple[int, int]:
    """The width and height an image's header declares, without decoding it."""
    with _GUARD_LIFTED:
        guard = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            fileobj.seek(0)
            with Image.open(fileobj, formats=_openers(fileobj)) as image:
                return image.size
        finally:
            Image.MAX_IMAGE_PIXELS = guard


def megapixels(pixels: int) -> str:
    """60000000 -> "60", 2500000 -> "2.5": as a person would say it."""
    return f"{pixels / 1_000_000:.1f}".removesuffix(".0")


def _not_a_photo(name: str) -> str:
    return gettext("“%(name)s” is not a photo we can read. Please upload a %(formats)s image.") % {
        "name": name,
        "formats": ACCEPTED_FORMATS_TEXT,
    }


def _damaged(name: str) -> str:
    return gettext(
        "“%(name)s” appears to be damaged or incomplete. Please choose the photo again, "
        "or export it from your photo app once more."
    ) % {"name": name}


def _size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size
