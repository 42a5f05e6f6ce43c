"""Photo quality hints: the measures for a folder of photos, and how well the
thresholds separate real photos from deliberately degraded copies of them.

    uv run python bench/photo_quality.py [FOLDER ...]

Default folders: tests/fixtures/images and ../shared/corpus (beside the
repository). Every file the renderer accepts is measured as it is; then each
one is degraded (Gaussian blur, darkened, downscaled), encoded again as a
JPEG and run through ``uploads.processing.render_photo`` — the task's own
code — and the confusion counts say how many of each kind the thresholds in
``uploads/processing.py`` flag. Blur radii are given at the measuring size
(QUALITY_MEASURE_LONG_SIDE) and scaled to each photo, so "2 px" means two
pixels of blur on a 640-pixel copy whatever the photo's resolution.
Also reports the time the measures add per photo (on the display rendition).
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDERS = [ROOT / "tests" / "fixtures" / "images", ROOT.parent / "shared" / "corpus"]

# (label, kind, amount, should be flagged). "Mild" degradations are printed
# but not counted: whether a hint should fire for them is a judgement call.
BLURS = [(1.0, None), (2.0, True), (3.0, True), (5.0, True), (8.0, True)]
DARKENINGS = [(0.6, None), (0.4, True), (0.3, True), (0.2, True)]
DOWNSCALES = [(480, True), (360, True), (240, True)]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A measuring script, not a server: the development settings are enough.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def upright_rgb(data: bytes):
    from PIL import ImageOps

    from uploads.validation import open_photo

    image = open_photo(io.BytesIO(data), max_pixels=10**9)
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    return image.convert("RGB")


def jpeg(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def measure(data: bytes):
    from django.conf import settings

    from uploads.processing import render_photo

    return render_photo(io.BytesIO(data), max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS).quality


def degraded(image):
    """Yield (description, hint it should raise, expected or None, JPEG bytes)."""
    from PIL import ImageEnhance, ImageFilter

    from uploads.processing import HINT_BLURRY, HINT_DARK, HINT_SMALL, QUALITY_MEASURE_LONG_SIDE

    scale = max(image.size) / QUALITY_MEASURE_LONG_SIDE
    for radius, expected in BLURS:
        with image.filter(ImageFilter.GaussianBlur(radius * max(scale, 1))) as blurred:
            yield f"blur {radius:g} px", HINT_BLURRY, expected, jpeg(blurred)
    for factor, expected in DARKENINGS:
        with ImageEnhance.Brightness(image).enhance(factor) as dark:
            yield f"dark ×{factor:g}", HINT_DARK, expected, jpeg(dark)
    for short, expected in DOWNSCALES:
        ratio = short / min(image.size)
        if ratio >= 1:
            continue
        size = (round(image.width * ratio), round(image.height * ratio))
        with image.resize(size, resample=3) as small:
            yield f"short side {short}", HINT_SMALL, expected, jpeg(small)


def originals(folders: list[Path]):
    from uploads.processing import PhotoUndecodable

    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            data = path.read_bytes() if path.is_file() else b""
            try:
                quality = measure(data)
            except PhotoUndecodable:
                continue
            yield path, data, quality


def row(name: str, quality, extra: str = "") -> str:
    hints = ", ".join(quality.hints) or "-"
    return (
        f"{name:<44} {quality.brightness:>6.1f} {quality.sharpness:>8.1f} "
        f"{quality.short_side:>6}  {hints}{extra}"
    )


def measure_cost(data: bytes, rounds: int = 20) -> float:
    """Milliseconds measure_quality adds for one photo (on its display rendition)."""
    from uploads.processing import DISPLAY_LONG_SIDE, _fit, measure_quality

    with upright_rgb(data) as image, _fit(image, DISPLAY_LONG_SIDE) as display:
        started = time.perf_counter()
        for _ in range(rounds):
            measure_quality(display, short_side=min(image.size))
        return (time.perf_counter() - started) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--min-side", type=int, default=300, help="skip tiny test files")
    args = parser.parse_args()
    setup_django()
    from uploads.processing import (
        BLURRY_BELOW,
        DARK_BELOW,
        HINT_BLURRY,
        HINT_DARK,
        SMALL_SHORT_SIDE_BELOW,
    )

    print(
        f"thresholds: dark below {DARK_BELOW}, blurry below {BLURRY_BELOW}, "
        f"small below {SMALL_SHORT_SIDE_BELOW} px short side"
    )
    print(f"{'photo':<44} {'bright':>6} {'sharp':>8} {'short':>6}  hints")
    seen: set[bytes] = set()
    # counts[hint] = [true positive, false negative, false positive, true negative]
    counts: dict[str, list[int]] = {}
    costs = []
    for path, data, quality in originals(args.folders):
        if quality.short_side < args.min_side or data in seen:
            continue  # made-for-the-test files and the same photo in two folders
        seen.add(data)
        print(row(path.name, quality, "   <- original"))
        costs.append((path.name, measure_cost(data)))
        with upright_rgb(data) as image:
            for description, hint, expected, copy in degraded(image):
                measured = measure(copy)
                flagged = hint in measured.hints
                print(row(f"  {description}", measured))
                if expected is None:
                    continue
                tally = counts.setdefault(hint, [0, 0, 0, 0])
                tally[0 if flagged else 1] += 1
        for hint in (HINT_DARK, HINT_BLURRY):
            # Every original counted here is sharp and well lit: a negative.
            tally = counts.setdefault(hint, [0, 0, 0, 0])
            tally[2 if hint in quality.hints else 3] += 1

    print("\nconfusion (degraded copies should be flagged, originals should not):")
    for hint, (tp, fn, fp, tn) in counts.items():
        print(f"  {hint:<30} flagged {tp}, missed {fn}; originals flagged {fp}, clear {tn}")
    print("\nmeasures' cost per photo (measure_quality on the display rendition):")
    for name, ms in costs:
        print(f"  {name:<30} {ms:.1f} ms")


if __name__ == "__main__":
    main()
