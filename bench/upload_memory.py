"""Web worker memory while it receives big photos: idle and peak RSS of one gunicorn worker.

    uv run python bench/upload_memory.py [--photos 8] [--pixels 60000000] [--format JPEG]

Starts the portal as tests/production_server.py does (DEBUG off, collected
static files, production cookies), with one sync gunicorn worker, local
private storage in a temporary folder, the PostgreSQL database of
BENCH_DATABASE_URL or DATABASE_URL (created if missing, migrated) and Redis
database 11 as broker and cache (BENCH_REDIS_URL; no Celery worker runs, the
queued processing tasks are flushed at the end).

It makes noisy camera-like photos (JPEG unless --format says PNG, WEBP
(lossless) or WEBP-LOSSY) just under PORTAL_MAX_PHOTO_BYTES and of as many
pixels as PORTAL_MAX_PHOTO_PIXELS allows (the most a decode could hold), in
a temporary folder. Lossless PNG and WebP pass the byte limit with the
faintest noise, so those come out smooth and smaller: their decode is as
large all the same.

For each scenario a fresh server handles one small submission first, a photo
in the format measured (so imports, libraries loaded on first use and caches
are warm), then the worker's VmRSS is read as its idle size, its high-water
mark is reset, and the photos are sent while a thread reads the worker's
VmRSS every 10 ms. Reported: idle, sampled peak, VmHWM
(the kernel's true peak), and peak minus idle, in MiB.

Scenarios: (a) one multipart POST of the whole form, the no-JavaScript path,
photos in the five guided slots and the rest under "Other photos"; (b) one
POST per photo to the background-upload endpoint, when this checkout has it,
then Send with the typed fields only, as the page's script does.
Request bodies are streamed from the files, so the client holds no photo.
"""

import argparse
import io
import mimetypes
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_upload"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
SLOTS = ["front", "left_oblique", "right_oblique", "left_profile", "right_profile"]
MIB = 1024 * 1024
# Pillow's save options for each format.
FORMATS = {
    "JPEG": {"quality": 95},
    "PNG": {"compress_level": 6},
    # Lossy WebP overflows its first partition on 60 MP of the finest detail.
    "WEBP": {"lossless": True, "quality": 0, "method": 0},
    # What phones and browsers write; decoded differently from lossless.
    "WEBP-LOSSY": {"quality": 90},
}
CALIBRATION_SIZE = (1600, 1200)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, help="default PORTAL_MAX_PHOTOS")
    parser.add_argument("--pixels", type=int, help="per photo; default PORTAL_MAX_PHOTO_PIXELS")
    parser.add_argument("--format", choices=FORMATS, default="JPEG", dest="image_format")
    return parser.parse_args()


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # This process only reads settings and URLs: the server gets production's.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def database_ready(env: dict) -> None:
    import psycopg

    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    command = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


# --- Photos -------------------------------------------------------------------


def photo_size(pixels: int) -> tuple[int, int]:
    """The largest 4:3 size within ``pixels``, as a camera would shoot it."""
    width = int((pixels * 4 / 3) ** 0.5)
    height = width * 3 // 4
    while width * height > pixels:
        height -= 1
    return width, height


def camera_like(size: tuple[int, int], noise_share: float):
    """Light falling off across the frame, with sensor-like noise on every pixel."""
    from PIL import Image

    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    noise = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    with Image.merge("RGB", (red, green, blue)) as light:
        photo = Image.blend(light, noise, noise_share)
    for image in (red, green, blue, noise):
        image.close()
    return photo


def pillow_format(image_format: str) -> str:
    """ "WEBP-LOSSY" -> "WEBP": Pillow's name for one of FORMATS."""
    return image_format.split("-")[0]


def encode(image, image_format: str) -> io.BytesIO:
    encoded = io.BytesIO()
    image.save(encoded, pillow_format(image_format), **FORMATS[image_format])
    return encoded


def noise_share_for(bytes_per_pixel: float, image_format: str) -> float:
    """The noise that makes a file this heavy, found on a small sample.

    Noise sets the size of a high-quality file, whatever the resolution.
    """
    low, high = 0.0, 1.0
    for _ in range(12):
        share = (low + high) / 2
        with camera_like(CALIBRATION_SIZE, share) as sample:
            weight = encode(sample, image_format).tell() / (
                CALIBRATION_SIZE[0] * CALIBRATION_SIZE[1]
            )
        low, high = (share, high) if weight < bytes_per_pixel else (low, share)
    return low


def make_photo(path: Path, image_format: str, size: tuple[int, int], max_bytes: int, share: float):
    """A photo of ``size`` under ``max_bytes``, with ``share`` of noise or a little less."""
    while True:
        with camera_like(size, share) as photo:
            encoded = encode(photo, image_format)
        if encoded.tell() < max_bytes:
            path.write_bytes(encoded.getbuffer())
            return encoded.tell()
        if not share:
            raise ValueError(f"even a smooth {image_format} of {size} is over {max_bytes} bytes")
        share *= 0.98


def small_photo(path: Path, image_format: str) -> None:
    from PIL import Image

    with Image.effect_noise((1200, 900), 40).convert("RGB") as image:
        image.save(path, pillow_format(image_format))


# --- A multipart body read from the files as it is sent ---------------------


class MultipartBody:
    """multipart/form-data over fields and files, read in pieces.

    ``len`` gives requests a Content-Length: Django reads a chunked body as empty.
    """

    def __init__(self, fields: list[tuple[str, str]], files: list[tuple[str, Path]]):
        self.boundary = f"bench-{uuid.uuid4().hex}"
        parts: list[bytes | Path] = []
        for name, value in fields:
            parts.append(self._head(f'name="{name}"') + value.encode() + b"\r\n")
        for name, path in files:
            kind = mimetypes.guess_type(path.name)[0]
            parts.append(
                self._head(f'name="{name}"; filename="{path.name}"', f"Content-Type: {kind}")
            )
            parts.extend([path, b"\r\n"])
        parts.append(f"--{self.boundary}--\r\n".encode())
        self.len = sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in parts)
        self._parts = iter(parts)
        self._current: io.IOBase | None = None

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self, disposition: str, *extra: str) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}", *extra]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def read(self, size: int = -1) -> bytes:
        while True:
            if self._current is None:
                part = next(self._parts, None)
                if part is None:
                    return b""
                self._current = part.open("rb") if isinstance(part, Path) else io.BytesIO(part)
            chunk = self._current.read(size if size > 0 else 1024 * 1024)
            if chunk:
                return chunk
            self._current.close()
            self._current = None


# --- The server and its worker's memory --------------------------------------


def gunicorn_worker(arbiter: int) -> int:
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


class RssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.01):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0.0
        self.samples = 0
        self._stop_sampling = threading.Event()

    def run(self) -> None:
        while not self._stop_sampling.is_set():
            self.peak = max(self.peak, status_mib(self.pid, "VmRSS"))
            self.samples += 1
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop_sampling.set()
        self.join()


@dataclass
class Measure:
    idle: float
    sampled_peak: float
    hwm: float
    samples: int
    seconds: float

    def row(self, scenario: str) -> str:
        return (
            f"{scenario:<34} {self.idle:>8.1f} {self.sampled_peak:>8.1f} {self.hwm:>8.1f} "
            f"{self.sampled_peak - self.idle:>9.1f} {self.hwm - self.idle:>9.1f} "
            f"{self.seconds:>6.1f} {self.samples:>6}"
        )


HEADER = (
    f"{'scenario':<34} {'idle':>8} {'sampled':>8} {'VmHWM':>8} "
    f"{'sampled-':>9} {'VmHWM-':>9} {'s':>6} {'samples':>6}\n"
    f"{'':<34} {'':>8} {'peak':>8} {'':>8} {'idle':>9} {'idle':>9}"
)


@contextmanager
def portal(base: Path, env: dict):
    """A fresh one-worker gunicorn; yields (url, worker pid)."""
    from tests.conftest import free_port
    from tests.production_server import GUNICORN, start_server, stop_gunicorn

    port = free_port()
    command = [*GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--access-logfile", "-", "--error-logfile", "-"]
    server = start_server(command, env=env, port=port, log_path=base / f"gunicorn-{port}.log")
    try:
        yield f"http://localhost:{port}", gunicorn_worker(server.pid)
    finally:
        stop_gunicorn(server)


class Browser:
    """Cookies kept by hand: the portal's are Secure, and requests sends those only over https."""

    def __init__(self, url: str):
        self.url = url
        self.cookies: dict[str, str] = {}

    def get_form(self) -> tuple[str, str]:
        """GET the form; return its CSRF token and submission key."""
        import requests

        response = self._keep(requests.get(self.url + "/", headers=self._headers(), timeout=30))
        html = response.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
        return token, key

    def post(self, path: str, body: MultipartBody):
        import requests

        headers = {**self._headers(), "Content-Type": body.content_type}
        response = requests.post(
            self.url + path, data=body, headers=headers, allow_redirects=False, timeout=300
        )
        return self._keep(response)

    def _headers(self) -> dict:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": cookie} if cookie else {}

    def _keep(self, response):
        self.cookies.update(response.cookies.get_dict())
        return response


def typed_fields(token: str, key: str) -> list[tuple[str, str]]:
    from tests.submission import form_data

    data = form_data(submission_key=key, csrfmiddlewaretoken=token)
    return [
        (name, item)
        for name, value in data.items()
        for item in (value if isinstance(value, list) else [value])
    ]


def send_form(browser: Browser, body: MultipartBody) -> None:
    response = browser.post("/", body)
    if response.status_code != 302:
        raise RuntimeError(f"form refused ({response.status_code}):\n{response.text[:3000]}")


def submit_form(browser: Browser, photos: list[Path]) -> None:
    """The no-JavaScript path: the whole form, photos in the guided slots, then "Other photos"."""
    token, key = browser.get_form()
    names = [f"photo_{slot}" for slot in SLOTS] + ["photos"] * len(photos)
    files = list(zip(names, photos, strict=False))
    send_form(browser, MultipartBody(typed_fields(token, key), files))


def upload_one_by_one(browser: Browser, photos: list[Path]) -> None:
    """What the page's script does: one POST per photo as it is chosen, then Send
    with the typed fields only (the JPEG previews are drawn by the browser)."""
    token, key = browser.get_form()
    slots = SLOTS + ["other"] * len(photos)
    for slot, photo in zip(slots, photos, strict=False):
        fields = [("csrfmiddlewaretoken", token), ("submission_key", key), ("slot", slot)]
        response = browser.post("/request/photos/", MultipartBody(fields, [("photo", photo)]))
        if response.status_code != 201:
            raise RuntimeError(f"upload refused ({response.status_code}):\n{response.text[:3000]}")
    send_form(browser, MultipartBody(typed_fields(token, key), []))


def measure(base: Path, env: dict, send, photos: list[Path], warm_up: Path) -> Measure:
    with portal(base, env) as (url, worker):
        send(Browser(url), [warm_up])
        time.sleep(0.5)
        idle = status_mib(worker, "VmRSS")
        # "5" resets the peak (VmHWM) to the current RSS (Linux 4.0+).
        Path(f"/proc/{worker}/clear_refs").write_text("5")
        sampler = RssSampler(worker)
        sampler.start()
        started = time.monotonic()
        try:
            send(Browser(url), photos)
        finally:
            sampler.stop()
        seconds = time.monotonic() - started
        return Measure(idle, sampler.peak, status_mib(worker, "VmHWM"), sampler.samples, seconds)


def upload_endpoint_present() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("consultations:photo_upload") == "/request/photos/"
    except NoReverseMatch:
        return False


def commit() -> str:
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip()


def main() -> None:
    args = parse_args()
    setup_django()
    from celery import Celery
    from django.conf import settings

    from bench.notify_latency import machine
    from tests.production_server import collect_static, production_env

    count = args.photos or settings.PORTAL_MAX_PHOTOS
    size = photo_size(args.pixels or settings.PORTAL_MAX_PHOTO_PIXELS)
    print(f"machine: {machine()}")
    print(f"commit: {commit()}")
    with tempfile.TemporaryDirectory(prefix="upload-memory-") as tmp:
        base = Path(tmp)
        for name in ("mail", "private", "static", "photos"):
            (base / name).mkdir()
        env = production_env(
            base=base, redis_url=REDIS_URL, url="http://localhost", secret_key=uuid.uuid4().hex
        )
        database_ready(env)
        collect_static(env)

        megapixels = size[0] * size[1] / 1e6
        print(f"making {count} {args.image_format} of {size[0]}×{size[1]} ({megapixels:.1f} MP)")
        max_bytes = settings.PORTAL_MAX_PHOTO_BYTES
        share = noise_share_for(max_bytes * 0.99 / (size[0] * size[1]), args.image_format)
        photos = []
        for number in range(count):
            suffix = pillow_format(args.image_format).lower()
            path = base / "photos" / f"IMG_{number + 1:04d}.{suffix}"
            nbytes = make_photo(path, args.image_format, size, max_bytes, share)
            print(f"  {path.name}: {nbytes:,} bytes")
            photos.append(path)
        # In the format measured, so that a decoder loaded on first use
        # (libvips) is part of the idle worker, as in one serving for a while.
        warm_up = base / "photos" / f"warm-up.{pillow_format(args.image_format).lower()}"
        small_photo(warm_up, args.image_format)

        scenarios = [("(a) whole form, one POST", submit_form)]
        if upload_endpoint_present():
            scenarios.append(("(b) background uploads, one each", upload_one_by_one))
        else:
            print("(b) skipped: no consultations:photo_upload URL in this checkout")
        print(f"\nMiB, {count} photos of {sum(p.stat().st_size for p in photos) / MIB:.1f} MiB")
        print(HEADER)
        try:
            for label, send in scenarios:
                print(measure(base, env, send, photos, warm_up).row(label), flush=True)
        finally:
            with Celery(broker=REDIS_URL).connection_for_write() as connection:
                connection.default_channel.client.flushdb()


if __name__ == "__main__":
    main()
