"""Photo processing benchmark: 12-megapixel JPEGs through the task's own Pillow code.

    uv run python bench/photos.py [--count 24] [--processes 1]

Makes realistic 4000×3000 camera JPEGs (gradients plus sensor-like noise,
EXIF orientation 6 and GPS, so every step of the real path runs), writes them
to bench/out/, then has worker processes run ``uploads.processing.render_photo``
on them: decode, orientation, metadata removal, review + display + thumbnail
encodes. Storage and database are left out: this measures the CPU and memory
of the image work, which is what a Celery worker process spends per photo.

Each worker process works serially through its share and reports its photos
per second and its peak resident memory (``ru_maxrss``), measured in a fresh
process so that making the test images does not count.
"""

import argparse
import io
import multiprocessing
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SIZE = (4000, 3000)


def make_photo(path: str, seed: int) -> None:
    from PIL import ExifTags, Image

    width, height = SIZE
    # Smooth light falloff in two directions, and noise like a phone sensor's.
    red = Image.linear_gradient("L").resize(SIZE)
    green = Image.radial_gradient("L").resize(SIZE)
    blue = Image.linear_gradient("L").rotate(90 + seed * 7).resize(SIZE)
    image = Image.merge("RGB", (red, green, blue))
    noise = Image.merge("RGB", [Image.effect_noise(SIZE, 30 + seed % 5) for _ in range(3)])
    photo = Image.blend(image, noise, 0.25)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "BenchCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, float(seed))
    photo.save(path, "JPEG", quality=90, exif=exif)
    for im in (red, green, blue, image, noise, photo):
        im.close()


def work(paths: list[str]) -> dict:
    """Runs in a fresh process: set up Django, then process each photo in turn."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from uploads.processing import render_photo

    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    output_bytes = 0
    started = time.perf_counter()
    for path in paths:
        with open(path, "rb") as handle:
            data = io.BytesIO(handle.read())
        for rendered in render_photo(data, max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS):
            output_bytes += len(rendered.content)
    elapsed = time.perf_counter() - started
    return {
        "photos": len(paths),
        "seconds": elapsed,
        "baseline_mib": baseline_kib / 1024,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "output_mib": output_bytes / 1024 / 1024,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24, help="photos in the batch")
    parser.add_argument("--processes", type=int, default=1, help="worker processes")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    paths = [str(OUT / f"bench-{index:03d}.jpg") for index in range(args.count)]
    missing = [(path, index) for index, path in enumerate(paths) if not os.path.exists(path)]
    context = multiprocessing.get_context("spawn")
    if missing:
        # In child processes: Linux carries a parent's peak RSS over into the
        # processes it starts, so this process must stay small.
        with context.Pool() as pool:
            pool.starmap(make_photo, missing)
    mean_mib = sum(os.path.getsize(p) for p in paths) / len(paths) / 1024 / 1024

    print(f"machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, {memory_total()} RAM")
    print(f"python {platform.python_version()}, Pillow {__import__('PIL').__version__}")
    print(f"batch: {len(paths)} JPEGs {SIZE[0]}×{SIZE[1]}, mean {mean_mib:.1f} MiB each")
    print(f"worker processes: {args.processes}, each processing its share serially")

    shares = [paths[i :: args.processes] for i in range(args.processes)]
    started = time.perf_counter()
    with context.Pool(args.processes) as pool:
        results = pool.map(work, shares)
    wall = time.perf_counter() - started

    for number, result in enumerate(results, 1):
        print(
            f"  process {number}: {result['photos']} photos in {result['seconds']:.2f} s = "
            f"{result['photos'] / result['seconds']:.2f} photos/s; "
            f"peak RSS {result['peak_mib']:.0f} MiB (after Django setup "
            f"{result['baseline_mib']:.0f} MiB); output {result['output_mib']:.1f} MiB"
        )
    busy = max(r["seconds"] for r in results)
    print(
        f"total: {len(paths)} photos, {len(paths) / busy:.2f} photos/s across "
        f"{args.processes} process(es) (wall time incl. start-up {wall:.2f} s)"
    )


if __name__ == "__main__":
    main()
