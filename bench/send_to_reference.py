"""From Send to the reference, for five ~3 MB photos over a 10 Mbit/s upload link.

Runs the portal as the clinic does (the tests' production server: gunicorn
with DEBUG off, a Celery worker, local private storage) and drives Chromium at
phone size, throttled by the DevTools protocol. Three ways a patient sends:

- widget, Send after the photos: every photo uploaded in the background,
  then Send; the clock runs from the click to the reference on screen.
- widget, Send while uploading: Send pressed as the first photo starts; the
  clock runs from the last photo's upload answer to the reference on screen.
- no JavaScript: the plain form posts all five photos with Send; the clock
  runs from the click to the reference.

It also reads the gunicorn workers' resident memory (VmRSS at start, VmHWM,
the peak, at the end) from /proc.

    PYTHONPATH=. uv run pytest -p tests.conftest bench/send_to_reference.py -s -p no:randomly

(``-p tests.conftest`` lends the tests' fixtures: database, Redis, server, Chromium.)
"""

import statistics
import time
from pathlib import Path

import pytest

from consultations.models import ConsultationRequest
from tests.browser import PHONE, Person, fill_form, throttle
from tests.images import noisy_photos
from uploads.models import Photo, ProcessingStatus

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SLOTS = ["Front", "Left oblique", "Right oblique", "Left profile", "Right profile"]
UPLOAD_MBIT = 10
ROUNDS = 3


def gunicorn_workers(url: str) -> list[int]:
    """The pids of this server's gunicorn workers: those whose parent is its gunicorn too."""
    bind = url.rsplit(":", 1)[1].encode()
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
            cmdline = (status.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if b"gunicorn" in cmdline and b"127.0.0.1:" + bind in cmdline:
            found[int(status.parent.name)] = int(fields["PPid"])
    return [pid for pid, parent in found.items() if parent in found]


def memory_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    # About 3 MB each: noise over a skin tone, which JPEG cannot shrink.
    folder = tmp_path_factory.mktemp("bench-photos")
    return noisy_photos(folder, count=5, size=(1900, 1425), noise=0.5, first=7000)


def throttled_patient(chromium, portal, name, **context):
    person = Person(chromium, portal.url, name, PHONE, **context)
    throttle(person, upload_mbit=UPLOAD_MBIT)
    return person


def upload_answers(page) -> list[float]:
    times = []
    page.on(
        "response",
        lambda r: (
            times.append(time.perf_counter())
            if r.request.method == "POST" and "/request/photos/" in r.url
            else None
        ),
    )
    return times


def fill_with_photos(page, photos) -> None:
    page.goto("/")
    fill_form(page)
    for slot, path in zip(SLOTS, photos, strict=True):
        page.get_by_label(slot, exact=True).set_input_files(path)


def send_after_photos(patient, photos) -> float:
    page = patient.page
    fill_with_photos(page, photos)
    page.wait_for_function(
        "() => document.querySelectorAll('.photo-item[data-state=uploaded]').length === 5",
        timeout=120_000,
    )
    start = time.perf_counter()
    page.get_by_role("button", name="Send my request").click()
    page.get_by_test_id("reference").wait_for()
    return time.perf_counter() - start


def send_while_uploading(patient, photos) -> tuple[float, float]:
    page = patient.page
    answers = upload_answers(page)
    start = time.perf_counter()
    fill_with_photos(page, photos)
    page.get_by_role("button", name="Send my request").click()
    page.get_by_test_id("reference").wait_for(timeout=120_000)
    shown = time.perf_counter()
    assert len(answers) == 5
    return shown - max(answers), shown - start


def send_without_javascript(patient, photos) -> float:
    page = patient.page
    fill_with_photos(page, photos)
    start = time.perf_counter()
    page.get_by_role("button", name="Send my request").click()
    page.get_by_test_id("reference").wait_for(timeout=120_000)
    return time.perf_counter() - start


def test_send_to_reference(portal, chromium, photos):
    workers = gunicorn_workers(portal.url)
    idle = {pid: memory_mib(pid, "VmRSS") for pid in workers}
    results = {"after": [], "while": [], "while_total": [], "no_js": []}
    for round_number in range(ROUNDS):
        patient = throttled_patient(chromium, portal, f"bench-after-{round_number}")
        results["after"].append(send_after_photos(patient, photos))
        patient.close()
        patient = throttled_patient(chromium, portal, f"bench-while-{round_number}")
        after_last, total = send_while_uploading(patient, photos)
        results["while"].append(after_last)
        results["while_total"].append(total)
        patient.close()
        patient = throttled_patient(
            chromium, portal, f"bench-nojs-{round_number}", java_script_enabled=False
        )
        results["no_js"].append(send_without_javascript(patient, photos))
        patient.close()
    assert ConsultationRequest.objects.count() == 3 * ROUNDS
    assert all(case.photos.count() == 5 for case in ConsultationRequest.objects.all())
    # The worker finishes the renditions before the database is emptied under it.
    deadline = time.monotonic() + 300
    while Photo.objects.filter(status=ProcessingStatus.PENDING).exists():
        assert time.monotonic() < deadline, "photos still processing after 5 minutes"
        time.sleep(1)

    size = sum(path.stat().st_size for path in photos) / 1_000_000
    print(f"\n5 photos, {size:.1f} MB in all, {UPLOAD_MBIT} Mbit/s upload, {ROUNDS} rounds")
    rows = [
        ("widget: Send after the uploads -> reference", results["after"]),
        ("widget: last upload answered -> reference (Send pressed early)", results["while"]),
        ("widget: page opened, form typed, photos chosen -> reference", results["while_total"]),
        ("no JavaScript: Send -> reference", results["no_js"]),
    ]
    for label, values in rows:
        print(f"| {label} | {statistics.median(values):.2f} s | {max(values):.2f} s |")
    for pid in workers:
        peak = memory_mib(pid, "VmHWM")
        print(
            f"gunicorn worker {pid}: idle {idle[pid]:.1f} MiB, peak {peak:.1f} MiB, "
            f"peak - idle {peak - idle[pid]:.1f} MiB"
        )
