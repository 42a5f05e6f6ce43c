"""Where a web worker's CPU goes on the patient's submission path, request by request.

    uv run python bench/profile_submission.py                 # CPU ms per request kind
    uv run python bench/profile_submission.py --profile post  # and cProfile of one kind
    uv run python bench/profile_submission.py --rounds 40 --photos 5

Runs the portal in this process as /work/shared/perf/portal_serve.sh serves it
(DEBUG off, PostgreSQL, photos on local disk in a temporary folder, Redis
broker on db 3 with no worker: tasks are published, not run) and sends
requests through Django's test client with CSRF checks on, so each request
runs the whole middleware stack, view and template. Request bodies are
encoded once before timing, so the client's multipart encoding is not counted.

Request kinds, each timed with time.process_time (this process's CPU, so
other work on the machine does not inflate it much):

- ``get``: GET / (a new visitor: no session, a fresh CSRF cookie)
- ``post``: POST / with the typed fields and N photos in the guided slots
  (the no-JavaScript path), answered by a redirect
- ``status``: GET of the status page the redirect names
- ``upload``: one POST /request/photos/ (the widget's background upload)
- ``send``: POST / with the typed fields only, claiming the held uploads

The photos are those of the perf harness's loadform.py (4032x3024 noisy JPEGs,
~3.2 MB),
in bench/out/photos (BENCH_PHOTO_DIR), made there if missing. The database is
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_profile),
created and migrated if missing.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOADFORM = ROOT / "bench" / "vendor" / "perf" / "loadform.py"
STATIC_ROOT = ROOT / "bench" / "out" / "profile-static"
PHOTO_DIR = Path(os.environ.get("BENCH_PHOTO_DIR", ROOT / "bench" / "out" / "photos"))
SLOTS = ["front", "left_oblique", "right_oblique", "left_profile", "right_profile"]
TREATMENTS = [
    "laser_resurfacing",
    "carbon_peel",
    "ipl",
    "radiofrequency",
    "coolsculpting",
    "fillers",
    "surgery",
    "other",
]
TEXT = (
    "For about two years I have noticed a gradual change and I would like a "
    "specialist to look at it. I am otherwise healthy. "
) * 3


def environment() -> None:
    """portal_serve.sh's environment, with a private media folder and database."""
    os.environ.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_COOKIES="false",
        DATABASE_URL=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_profile"
        ),
        DATABASE_CONN_MAX_AGE="60",
        CELERY_BROKER_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
        PORTAL_PRIVATE_FILES_ROOT=tempfile.mkdtemp(prefix="bench-profile-"),
        PORTAL_LOG_LEVEL="WARNING",
        PORTAL_ALLOW_UNSAFE="console_email,local_site_url",
        # One address sends every request here; the limiter still runs, never refuses.
        PORTAL_REQUEST_RATE_LIMIT="1000000/h",
        PORTAL_PHOTO_UPLOAD_RATE_LIMIT="1000000/h",
        DJANGO_STATIC_ROOT=str(STATIC_ROOT),
        DJANGO_SETTINGS_MODULE="config.settings",
    )


def photos(count: int) -> list[bytes]:
    paths = [PHOTO_DIR / f"photo{i}.jpg" for i in range(1, 6)]
    if not all(p.exists() for p in paths):
        subprocess.run(
            [sys.executable, str(LOADFORM), "photos", str(PHOTO_DIR)],
            check=True,
        )
    return [paths[i % 5].read_bytes() for i in range(count)]


def typed_fields(n: int) -> dict:
    fields = {
        "website": "",
        "first_name": "Alex",
        "last_name": "Perfmann",
        "email": f"perf{n}@example.com",
        "phone": "+442079460958",
        "preferred_contact": "email",
        "date_of_birth": "1985-06-15",
        "country": "GB",
        "region": "London",
        "concerns": "under_eyes",
        "symptoms": TEXT,
        "goals": TEXT,
        "treatment_other_description": "Benchmark",
        "consent_privacy": "on",
        "consent_photos": "on",
        "consent_contact": "on",
    }
    for kind in TREATMENTS:
        fields[f"treatment_{kind}"] = "on"
        fields[f"treatment_{kind}_date"] = "2025-03"
    return fields


class Upload(io.BytesIO):
    """A file for encode_multipart: bytes with a name."""

    def __init__(self, content: bytes, name: str):
        super().__init__(content)
        self.name = name


def multipart(fields: dict) -> tuple[bytes, str]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT


CLIENT = None
QUERIES: dict[str, list[str]] = {}


class Visitor:
    """One new browser: a fresh client, its CSRF token and the form's submission key."""

    def __init__(self, times: dict, profiles: dict, profile_kind: str | None):
        from http.cookies import SimpleCookie

        # One client (one handler, as a gunicorn worker loads its middleware
        # once: WhiteNoise scans the static files when it is made), no cookies.
        self.client = CLIENT
        self.client.cookies = SimpleCookie()
        self.times, self.profiles, self.profile_kind = times, profiles, profile_kind

    def timed(self, kind: str, call):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        # CPU time, not wall time: waits on the database and other load do not count.
        profiler = cProfile.Profile(time.process_time) if kind == self.profile_kind else None
        start = time.process_time()
        if profiler:
            profiler.enable()
        with CaptureQueriesContext(connection) as queries:
            response = call()
        if profiler:
            profiler.disable()
        QUERIES[kind] = [q["sql"] for q in queries.captured_queries]
        self.times.setdefault(kind, []).append((time.process_time() - start) * 1e3)
        if profiler:
            self.profiles.setdefault(kind, []).append(profiler)
        return response

    def get_form(self):
        import re

        response = self.timed("get", lambda: self.client.get("/"))
        assert response.status_code == 200, response.status_code
        html = response.content.decode()
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        self.key = re.search(r'name="submission_key" value="([^"]+)"', html)[1]

    def post(self, kind: str, fields: dict, path: str = "/"):
        body, content_type = multipart(
            {"csrfmiddlewaretoken": self.token, "submission_key": self.key, **fields}
        )
        return self.timed(
            kind,
            lambda: self.client.generic("POST", path, body, content_type=content_type),
        )

    def status(self, location: str):
        response = self.timed("status", lambda: self.client.get(location))
        assert response.status_code == 200, response.status_code


def submit_plain(visitor: Visitor, n: int, images: list[bytes]) -> None:
    visitor.get_form()
    files = {f"photo_{SLOTS[i]}": Upload(image, f"photo{i}.jpg") for i, image in enumerate(images)}
    response = visitor.post("post", {**typed_fields(n), **files})
    assert response.status_code == 302, response.content.decode()[:2000]
    visitor.status(response["Location"])


def submit_background(visitor: Visitor, n: int, images: list[bytes]) -> None:
    visitor.get_form()
    for i, image in enumerate(images):
        response = visitor.post(
            "upload",
            {"slot": SLOTS[i], "photo": Upload(image, f"photo{i}.jpg")},
            path="/request/photos/",
        )
        assert response.status_code == 201, response.content
    response = visitor.post("send", typed_fields(n))
    assert response.status_code == 302, response.content.decode()[:2000]
    visitor.status(response["Location"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--photos", type=int, default=1)
    parser.add_argument("--profile", choices=["get", "post", "status", "upload", "send"])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="print the SQL of each kind")
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()

    environment()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception:
        create_database()
    call_command("migrate", verbosity=0)
    # The page names the collected, hashed static files (WhiteNoise's manifest).
    call_command("collectstatic", interactive=False, verbosity=0)

    global CLIENT
    from django.test import Client

    CLIENT = Client(enforce_csrf_checks=True)
    images = photos(args.photos)
    times, profiles = {}, {}
    warm = Visitor({}, {}, None)
    submit_plain(warm, 0, images)  # first use: imports, templates, connections
    submit_background(warm, 0, images)
    for n in range(1, args.rounds + 1):
        submit_plain(Visitor(times, profiles, args.profile), n, images)
        submit_background(Visitor(times, profiles, args.profile), n, images)

    print(f"CPU ms per request, median of {args.rounds} ({args.photos} photo(s) per submission)")
    print("| request | median | min | max | queries |\n| --- | ---: | ---: | ---: | ---: |")
    for kind in ("get", "post", "status", "upload", "send"):
        xs = times[kind]
        print(
            f"| {kind} | {statistics.median(xs):.1f} | {min(xs):.1f} | {max(xs):.1f} "
            f"| {len(QUERIES[kind])} |"
        )
    med = {k: statistics.median(v) for k, v in times.items()}
    plain = med["get"] + med["post"] + med["status"]
    background = med["get"] + args.photos * med["upload"] + med["send"] + med["status"]
    print(f"\nwhole submission, no JavaScript (get+post+status): {plain:.1f} ms")
    print(f"whole submission, background uploads (get+uploads+send+status): {background:.1f} ms")

    if args.queries:
        for kind, sql in QUERIES.items():
            print(f"\n--- queries of one {kind} ---")
            for statement in sql:
                print(" ", statement[:160])

    for kind, runs in profiles.items():
        stats = pstats.Stats(runs[0])
        for profiler in runs[1:]:
            stats.add(profiler)
        print(f"\n--- cProfile of {kind}, {len(runs)} requests ---")
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)


def create_database() -> None:
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qc",
            f'CREATE DATABASE "{name}"',
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
