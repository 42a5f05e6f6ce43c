"""Turn a stored upload into the images staff see: upright, without metadata.

Pure image work, no storage and no database, so the benchmark and the task use
exactly the same code. Pillow is asked to re-encode pixels only: ``exif=``,
``xmp=`` and text chunks are never passed and ``info`` is emptied first, so
EXIF (GPS, maker notes), XMP, IPTC and comments cannot travel along. The ICC
colour profile is kept on purpose when it describes the pixels written
(without it colours shift, and it says nothing about the patient); pixels in
another colour space (CMYK, Lab, grey in an RGB space) are converted to sRGB
through it, and a profile that cannot describe the pixels is dropped.
"""

import functools
import io
import logging
import sys
from dataclasses import dataclass
from typing import IO, cast

from PIL import Image, ImageCms, ImageFilter, ImageMath, ImageOps, ImageStat

from .models import RenditionName
from .validation import DECODE_ERRORS, PixelLimitExceeded, open_photo

logger = logging.getLogger(__name__)

DISPLAY_LONG_SIDE = 2048
THUMBNAIL_LONG_SIDE = 320
REVIEW_JPEG_QUALITY = 92
SMALL_JPEG_QUALITY = 85

# --- Quality hints for staff: the one place their thresholds live ----------------
# Calibrated on real photos and degraded copies of them: see bench/README.md
# ("Photo quality hints") and bench/photo_quality.py before changing a number.
# The browser-side hint (upload widget) is to reuse these values, not copy them.
QUALITY_MEASURE_LONG_SIDE = 640  # measured on a copy this size, made from the display
DARK_BELOW = 60.0  # mean luminance, 0 (black) to 255 (white)
BLURRY_BELOW = 80.0  # variance of the Laplacian of the measure copy
SMALL_SHORT_SIDE_BELOW = 600  # pixels on the upright photo's short side

HINT_DARK = "may be too dark"
HINT_BLURRY = "may be blurry"
HINT_SMALL = "small: may be hard to judge"

# The Laplacian, offset so that negative responses survive in an 8-bit image.
_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)


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


@dataclass(frozen=True)
class PhotoQuality:
    """What a glance at a photo would tell staff before they open it."""

    brightness: float  # mean luminance, 0-255
    sharpness: float  # variance of the Laplacian at QUALITY_MEASURE_LONG_SIDE
    short_side: int  # of the upright photo, in pixels

    @property
    def hints(self) -> list[str]:
        return quality_hints(
            brightness=self.brightness, sharpness=self.sharpness, short_side=self.short_side
        )


def quality_thresholds() -> dict[str, float]:
    """The thresholds as plain data, for the upload widget's own hint (as JSON)."""
    return {
        "measureLongSide": QUALITY_MEASURE_LONG_SIDE,
        "darkBelow": DARK_BELOW,
        "blurryBelow": BLURRY_BELOW,
        "smallShortSideBelow": SMALL_SHORT_SIDE_BELOW,
    }


def quality_hints(*, brightness: float, sharpness: float, short_side: int) -> list[str]:
    hints = []
    if brightness < DARK_BELOW:
        hints.append(HINT_DARK)
    if sharpness < BLURRY_BELOW:
        hints.append(HINT_BLURRY)
    if short_side < SMALL_SHORT_SIDE_BELOW:
        hints.append(HINT_SMALL)
    return hints


@dataclass(frozen=True)
class RenderedPhoto:
    """The renditions of one upload (iterating gives them) and its measures."""

    images: list[RenderedImage]
    quality: PhotoQuality

    def __iter__(self):
        return iter(self.images)


def render_photo(fileobj: IO[bytes], *, max_pixels: int) -> RenderedPhoto:
    """Decode one upload and return its review, display and thumbnail images.

    Raises PhotoUndecodable, with a reason for staff, whenever the bytes are
    the problem: the same bytes would fail the same way on every attempt.
    """
    try:
        return _render(fileobj, max_pixels=max_pixels)
    except PixelLimitExceeded as too_large:
        raise PhotoUndecodable(f"The photo {too_large.describe()}.") from None
    except Image.UnidentifiedImageError:
        raise PhotoUndecodable("The photo is not in a format we accept.") from None
    except DECODE_ERRORS as error:
        # OSError here comes from decoding in-memory bytes, not from storage.
        raise PhotoUndecodable(
            f"The photo could not be decoded ({type(error).__name__})."
        ) from None
    except Exception as error:
        logger.exception("photo rendering stopped on an unexpected error")
        raise PhotoUndecodable(
            f"The photo could not be processed ({type(error).__name__})."
        ) from None


def _render(fileobj: IO[bytes], *, max_pixels: int) -> RenderedPhoto:
    review, lossless, icc_profile = _decode_upright(fileobj, max_pixels=max_pixels)
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
            quality = measure_quality(display, short_side=min(review.size))
            with _fit(display, THUMBNAIL_LONG_SIDE) as thumbnail:
                rendered.append(
                    _encode(RenditionName.THUMBNAIL, thumbnail, icc_profile=icc_profile)
                )
    finally:
        review.close()
    return RenderedPhoto(images=rendered, quality=quality)


PREVIEW_LONG_SIDE = 480


def preview_image(fileobj: IO[bytes], *, max_pixels: int) -> RenderedImage:
    """A small upright JPEG of an upload, without metadata, for the patient's own form.

    Browsers cannot draw HEIC (nor kept photos they no longer have), so the
    form shows this instead. JPEGs are decoded at a reduced scale.
    Raises PhotoUndecodable like render_photo.
    """
    try:
        return _preview(fileobj, max_pixels=max_pixels)
    except PixelLimitExceeded as too_large:
        raise PhotoUndecodable(f"The photo {too_large.describe()}.") from None
    except (Image.UnidentifiedImageError, *DECODE_ERRORS) as error:
        raise PhotoUndecodable(f"No preview ({type(error).__name__}).") from None


def _preview(fileobj: IO[bytes], *, max_pixels: int) -> RenderedImage:
    upright, _lossless, icc_profile = _decode_upright(
        fileobj, max_pixels=max_pixels, draft_long_side=PREVIEW_LONG_SIDE
    )
    with upright, _fit(upright, PREVIEW_LONG_SIDE) as small:
        small.info = {}
        return _encode(RenditionName.THUMBNAIL, small, icc_profile=icc_profile)


def measure_quality(display: Image.Image, *, short_side: int) -> PhotoQuality:
    """Brightness and sharpness of ``display`` (a rendition already made, so
    cheap to shrink), measured on a grey copy QUALITY_MEASURE_LONG_SIDE long.

    A fixed measuring size makes sharpness comparable between a 12 MP phone
    photo and a small one: it asks whether the photo looks sharp at the size a
    screen shows it, not whether its sensor resolved single pixels.
    """
    flat = _flatten(display)
    try:
        grey = flat.convert("L")
    finally:
        if flat is not display:
            flat.close()
    with grey:
        # Grey first, then a box filter: a quarter of the cost of Lanczos on
        # colour (4 ms instead of 26 ms for a 2048-pixel display), and the
        # thresholds were calibrated on exactly this copy.
        scale = QUALITY_MEASURE_LONG_SIDE / max(grey.size)
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        small = grey.resize(size, Image.Resampling.BOX) if scale < 1 else grey.copy()
    with small:
        brightness = ImageStat.Stat(small).mean[0]
        with small.filter(_LAPLACIAN) as edges:
            sharpness = ImageStat.Stat(edges).var[0]
    return PhotoQuality(
        brightness=round(brightness, 1), sharpness=round(sharpness, 1), short_side=short_side
    )


def _decode_upright(
    fileobj: IO[bytes], *, max_pixels: int, draft_long_side: int | None = None
) -> tuple[Image.Image, bool, bytes | None]:
    """The decoded pixels, upright and in a mode every later step takes; whether
    the source was lossless; the ICC profile that describes those pixels, if any.

    ``draft_long_side``: a JPEG may be decoded at a reduced scale no smaller
    than this (a preview needs no more); other formats ignore it.
    """
    # The declared size is checked against max_pixels before anything is decoded.
    source = open_photo(fileobj, max_pixels=max_pixels)
    try:
        lossless = _is_lossless(source, fileobj)
        if draft_long_side:
            source.draft("RGB", (draft_long_side, draft_long_side))
        source.load()
        icc_profile = source.info.get("icc_profile")
        # Orientation first: once the metadata is gone it cannot be applied.
        # In place, so that no second full-size copy is held afterwards.
        ImageOps.exif_transpose(source, in_place=True)
        upright, icc_profile = _display_pixels(source, icc_profile)
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


# --- Pixels every later step can resize and encode ---------------------------

# Modes whose pixels a grey ICC profile describes (and 16-bit "I;16*").
_GREY_MODES = {"1", "L", "LA", "La", "I", "F"}


def _display_pixels(
    image: Image.Image, icc_profile: bytes | None
) -> tuple[Image.Image, bytes | None]:
    """8-bit L, LA, RGB or RGBA pixels, and the profile that describes them (or None).

    Palette images would otherwise be resized with nearest-neighbour, CMYK,
    Lab or 16-bit images cannot all be written as JPEG, and a plain
    ``convert("RGB")`` would clip 16-bit grey to white and turn CMYK or Lab
    into the wrong colours. Pixels whose embedded profile is in another colour
    space than the one written are converted to sRGB through that profile.
    """
    profile = _parse_profile(icc_profile)
    space = profile.profile.xcolor_space.strip() if profile else None
    family = _colour_family(image.mode)

    if family == "CMYK":
        if profile is not None and space == "CMYK":
            return _to_srgb(image, profile)
        # No profile to say which inks: Pillow's plain conversion, untagged.
        return image.convert("RGB"), None
    if family == "Lab":
        # Pillow's own LAB -> RGB is not colorimetric; LCMS's built-in Lab is.
        return _to_srgb(image, ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")))

    image = _eight_bit(_bilevel_as_grey(image))
    image = _without_palette(image)
    if family == space or space is None:
        return image, icc_profile if space else None
    if family == "GRAY" and profile is not None and space == "RGB":
        # Grey values meant as R = G = B in that RGB space.
        return _to_srgb(image.convert("RGBA" if "A" in image.mode else "RGB"), profile)
    # A profile of another colour space cannot describe these pixels at all.
    return image, None


def _colour_family(mode: str) -> str:
    if mode in _GREY_MODES or mode.startswith("I;16"):
        return "GRAY"
    if mode == "CMYK":
        return "CMYK"
    if mode == "LAB":
        return "Lab"
    return "RGB"


def _parse_profile(icc_profile: bytes | None) -> ImageCms.ImageCmsProfile | None:
    if not icc_profile:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    except (OSError, ValueError, TypeError):
        # Unreadable: no viewer could use it either, so it is dropped.
        return None


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.cache
def srgb_profile_bytes() -> bytes:
    """The profile embedded in renditions whose pixels were converted to sRGB."""
    return _srgb().tobytes()


def _to_srgb(
    image: Image.Image, profile: ImageCms.ImageCmsProfile
) -> tuple[Image.Image, bytes | None]:
    """``image`` (RGB, RGBA, CMYK or LAB) as sRGB pixels, tagged as sRGB."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    colour = image.convert("RGB") if alpha is not None else image
    try:
        converted = ImageCms.profileToProfile(colour, profile, _srgb(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A profile LCMS cannot use: Pillow's plain conversion, untagged.
        logger.info("colour profile unusable, converted without it mode=%s", image.mode)
        return image.convert("RGBA" if alpha is not None else "RGB"), None
    assert converted is not None  # None only when converting in place
    if alpha is not None:
        converted.putalpha(alpha)
    return converted, srgb_profile_bytes()


def _bilevel_as_grey(image: Image.Image) -> Image.Image:
    return image.convert("L") if image.mode == "1" else image


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey (PNG, 10- and 12-bit HEIF) as 8-bit L or LA.

    The value is scaled (``>> 8``: 0xFFFF -> 255, 0x8000 -> 128, an 8-bit
    value stored as 16 bits comes back unchanged); ``convert("L")`` would clip
    every value above 255 to white.
    """
    mode = image.mode
    if mode.startswith("I;16"):
        # The high byte of each value, read straight from the 16-bit buffer
        # (Pillow's "L;16" unpacker): no 32-bit copy of a large image.
        big_endian = mode == "I;16B" or (mode == "I;16N" and sys.byteorder == "big")
        rawmode = "L;16B" if big_endian else "L;16"
        grey = Image.frombytes("L", image.size, image.tobytes(), "raw", rawmode)
    elif mode == "I":
        # 32-bit grey from a 16-bit source; clamp anything outside it.
        grey = ImageMath.lambda_eval(
            lambda args: args["min"](args["max"](args["a"], 0), 65535) >> 8, a=image
        ).convert("L")
    elif mode == "F":
        # One band: a single (lowest, highest) pair, of floats.
        high = cast(float, image.getextrema()[1])
        # Floats carry no scale: 0..1, 0..255 and 0..65535 are all in use.
        top = next(limit for limit in (1.0, 255.0, 65535.0, high) if high <= limit)
        return image.point(lambda v: v * (255.0 / top) + 0.5).convert("L")
    elif mode == "La":
        return image.convert("LA")
    else:
        return image
    transparent = image.info.get("transparency")
    if isinstance(transparent, int):
        # PNG: one grey value (in 16 bits) marks the transparent pixels.
        alpha = ImageMath.lambda_eval(
            lambda args: args["notequal"](args["a"], transparent) * 255,
            a=image if mode == "I" else image.convert("I"),
        ).convert("L")
        grey.putalpha(alpha)
    return grey


def _without_palette(image: Image.Image) -> Image.Image:
    """L, LA, RGB or RGBA."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if "transparency" in image.info or image.mode in ("PA", "RGBa"):
        return image.convert("RGBA")
    return image.convert("RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: lay transparent pixels on white, as a page would show them.

    Grey stays grey, so that a grey profile still describes the pixels.
    """
    if image.mode in ("L", "RGB"):
        return image
    colour = "L" if image.mode == "LA" else "RGB"
    background = Image.new(colour, image.size, 255 if colour == "L" else (255, 255, 255))
    background.paste(image.convert(colour), mask=image.getchannel("A"))
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
