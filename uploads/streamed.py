"""Read every pixel of a PNG, WebP, HEIC or AVIF upload through libvips.

Pillow decodes these formats only whole: a 60 MP PNG takes 229 MiB of a web
worker's memory, a WebP about four times that. libvips reads a PNG row by row
and scales a lossy WebP as it decodes each macroblock, so a pass over the
pixels (``avg``) holds a few rows however large the photo. Pillow still opens
the file first (format, pixel limit); this only decodes.

pyvips loads libvips (the system's ``libvips42``) on the first such photo,
so that web workers that never see one stay as small as before.
"""

import functools
import struct
import zlib
from typing import IO

# The strictest of libvips's levels: a decoder's warning refuses the file as
# an error or a cut stream would. It accepted every real photo in the corpora
# tried (Pillow's and libheif's test images) that Pillow accepted.
FAIL_ON = "warning"

# Explicit loaders, so libvips decodes the format Pillow identified and no
# other. A lossy WebP decoded at 1/8 scale still decodes every macroblock;
# a lossless one is decoded whole by libwebp whatever the scale. libheif
# (1.15 on Debian 12) decodes a HEIC or AVIF whole too, so these take as much
# memory as through Pillow, but unlike pi-heif it refuses a file cut short.
LOADERS: dict[str, tuple[str, dict[str, object]]] = {
    "PNG": ("pngload", {}),
    "WEBP": ("webpload", {"scale": 1 / 8}),
    "HEIF": ("heifload", {}),
    "AVIF": ("heifload", {}),
}


def decode_streamed(fileobj: IO[bytes], image_format: str) -> None:
    """Decode the whole upload; raise OSError if libvips finds it damaged."""
    vips = _vips()
    try:
        _load(vips, fileobj, image_format).avg()
    except vips.Error as error:
        raise OSError(error.message) from None
    if image_format == "PNG":
        check_png_chunks(fileobj)


def check_png_chunks(fileobj: IO[bytes]) -> None:
    """Walk every chunk to IEND, as Pillow's full load did and libvips does not.

    libvips stops after the pixels: a file cut in its last chunks or a chunk
    that fails its CRC would otherwise pass. Reads the file in pieces,
    holding none of it.
    """
    fileobj.seek(8)  # the signature, which Pillow has checked
    while True:
        length, kind = struct.unpack(">I4s", _read_exactly(fileobj, 8))
        crc = zlib.crc32(kind)
        for piece in _pieces(fileobj, length):
            crc = zlib.crc32(piece, crc)
        if struct.unpack(">I", _read_exactly(fileobj, 4))[0] != crc:
            raise OSError(f"PNG chunk {kind!r} fails its CRC")
        if kind == b"IEND":
            return


def _pieces(fileobj: IO[bytes], length: int):
    while length:
        piece = _read_exactly(fileobj, min(length, 1024 * 1024))
        length -= len(piece)
        yield piece


def _read_exactly(fileobj: IO[bytes], size: int) -> bytes:
    data = fileobj.read(size)
    if len(data) != size:
        raise OSError("PNG cut short")
    return data


def _load(vips, fileobj: IO[bytes], image_format: str):
    loader, format_options = LOADERS[image_format]
    options = {"access": "sequential", "fail_on": FAIL_ON, **format_options}
    if hasattr(fileobj, "temporary_file_path"):
        return vips.Operation.call(loader, fileobj.temporary_file_path(), **options)
    # Django keeps only uploads under FILE_UPLOAD_MAX_MEMORY_SIZE in memory.
    fileobj.seek(0)
    return vips.Operation.call(f"{loader}_buffer", fileobj.read(), **options)


def libvips_missing() -> str | None:
    """Why libvips cannot be loaded, or None: a server fault, not the upload's."""
    try:
        import pyvips  # noqa: F401
    except OSError as error:
        return str(error)
    return None


@functools.cache
def _vips():
    if missing := libvips_missing():
        # Raised as what no decoder raises, so that it is logged with its
        # traceback rather than taken for a damaged file.
        raise ImportError(f"libvips (Debian's libvips42) cannot be loaded: {missing}")
    import pyvips

    # Cached operations would keep decoded images alive after the check, and
    # each extra thread would hold its own strip buffers.
    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    return pyvips
