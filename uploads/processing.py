"""Turn a stored upload into the images staff see: upright, without metadata.

Pure image work, no storage and no database, so the benchmark and the task use
exactly the same code. Pillow is asked to re-encode pixels only: ``exif=``,
``xmp=`` and text chunks are never passed and ``info`` is emptied first, so
EXIF (GPS, maker notes), XMP, IPTC and comments cannot travel along. The ICC
colour profile is kept on purpose: without it colours shift, and it says
nothing about the patient.
"""

import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps

from .models import RenditionName
from .validation import ACCEPTED_FORMATS

DISPLAY_LONG_SIDE = 2048
THUMBNAIL_LONG_SIDE = 320
REVIEW_JPEG_QUALITY = 92
SMALL_JPEG_QUALITY = 85


class PhotoUndecodable(ValueError):
    """The stored bytes are not an image we can process; retrying cannot help."""


@dataclass(frozen=True)
class RenderedImage:
    name: str
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def render_photo(fileobj: IO[bytes], *, max_pixels: int) -> list[RenderedImage]:
    """Decode one upload and return its review, display and thumbnail images."""
    try:
        review, lossless, icc_profile = _decode_upright(fileobj, max_pixels=max_pixels)
    except PhotoUndecodable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoUndecodable("The photo declares an image too large to open safely.") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        # OSError here comes from decoding in-memory bytes, not from storage.
        raise PhotoUndecodable(
            f"The photo could not be decoded ({type(error).__name__})."
        ) from None

    try:
        # Whatever metadata Pillow parsed (EXIF, XMP, comments, text chunks)
        # is dropped here; some encoders would otherwise pick it up from info.
        review.info = {}
        rendered = [
            _encode(RenditionName.REVIEW, review, lossless=lossless, icc_profile=icc_profile)
        ]
        # Display and thumbnail come from the pixels already decoded; each step
        # shrinks the previous one, so only one full-size image is ever held.
        with _fit(review, DISPLAY_LONG_SIDE) as display:
            rendered.append(_encode(RenditionName.DISPLAY, display, icc_profile=icc_profile))
            with _fit(display, THUMBNAIL_LONG_SIDE) as thumbnail:
                rendered.append(
                    _encode(RenditionName.THUMBNAIL, thumbnail, icc_profile=icc_profile)
                )
    finally:
        review.close()
    return rendered


def _decode_upright(
    fileobj: IO[bytes], *, max_pixels: int
) -> tuple[Image.Image, bool, bytes | None]:
    """The decoded pixels, turned upright; whether the source was lossless; its ICC profile."""
    with warnings.catch_warnings():
        # As in validation: refuse at our own limit, not twice Pillow's.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        source = Image.open(fileobj, formats=list(ACCEPTED_FORMATS))
    try:
        if source.width * source.height > max_pixels:
            raise PhotoUndecodable("The photo has more pixels than the configured limit.")
        lossless = _is_lossless(source, fileobj)
        source.load()
        icc_profile = source.info.get("icc_profile")
        # Orientation first: once the metadata is gone it cannot be applied.
        # In place, so that no second full-size copy is held afterwards.
        ImageOps.exif_transpose(source, in_place=True)
        upright = _normalise_mode(source)
    except BaseException:
        source.close()
        raise
    if upright is not source:
        source.close()
    return upright, lossless, icc_profile


def _fit(image: Image.Image, long_side: int) -> Image.Image:
    """A copy no longer than ``long_side`` on its long side (never enlarged)."""
    scale = long_side / max(image.size)
    if scale >= 1:
        return image.copy()
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap: a fast integer reduce first, then Lanczos on the rest.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(
    name: str,
    image: Image.Image,
    *,
    lossless: bool = False,
    icc_profile: bytes | None,
) -> RenderedImage:
    buffer = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if lossless:
        image.save(buffer, "PNG", optimize=True, **extra)
        content_type, extension = "image/png", "png"
    else:
        quality = REVIEW_JPEG_QUALITY if name == RenditionName.REVIEW else SMALL_JPEG_QUALITY
        flat = _flatten(image)
        try:
            flat.save(buffer, "JPEG", quality=quality, optimize=True, **extra)
        finally:
            if flat is not image:
                flat.close()
        content_type, extension = "image/jpeg", "jpg"
    return RenderedImage(
        name=str(name),
        content=buffer.getvalue(),
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
    )


def _normalise_mode(image: Image.Image) -> Image.Image:
    """L, LA, RGB or RGBA: modes every step after this can resize and encode.

    Palette images would otherwise be resized with nearest-neighbour, and
    CMYK or 16-bit images cannot all be written as JPEG.
    """
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if "transparency" in image.info or image.mode in ("PA", "RGBa"):
        return image.convert("RGBA")
    return image.convert("RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: lay transparent pixels on white, as a page would show them."""
    if image.mode in ("L", "RGB"):
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    # paste converts the mode; the alpha channel is the mask.
    background.paste(image, mask=image.getchannel("A"))
    return background


def _is_lossless(image: Image.Image, fileobj: IO[bytes]) -> bool:
    """PNG always; WebP when its bitstream is VP8L (Pillow does not say which)."""
    if image.format == "PNG":
        return True
    if image.format != "WEBP":
        return False
    position = fileobj.tell()
    try:
        fileobj.seek(0)
        return _webp_is_lossless(fileobj.read(1024 * 64))
    finally:
        fileobj.seek(position)


def _webp_is_lossless(header: bytes) -> bool:
    # RIFF container: "RIFF" size "WEBP", then chunks (fourcc, little-endian size).
    offset = 12
    while offset + 8 <= len(header):
        fourcc = header[offset : offset + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        size = int.from_bytes(header[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False
