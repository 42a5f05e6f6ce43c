"""Queue and case page speed at 100,000 requests, on PostgreSQL.

    DJANGO_DEBUG=true uv run python bench/queue_pages.py [--requests 100000] [--rounds 40]

Creates (or reuses) the database `bench_queue` on the local PostgreSQL (or
BENCH_DATABASE_URL), loads the requests once, then times the coordinator's
pages through Django's test client: median and 95th percentile, and the number
of SQL queries each page ran.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_queue"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def ensure_database():
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def load(total: int):
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from consultations.models import (
        ConcernArea,
        ConsultationRequest,
        RequestConcern,
        Status,
    )
    from tests.staff import PASSWORD
    from uploads.models import Photo

    coordinator, _ = User.objects.get_or_create(username="bench-coordinator")
    coordinator.set_password(PASSWORD)
    coordinator.save()
    coordinator.groups.add(Group.objects.get(name="coordinators"))
    surgeons = []
    for i in range(5):
        surgeon, _ = User.objects.get_or_create(username=f"bench-surgeon-{i}")
        surgeon.groups.add(Group.objects.get(name="surgeons"))
        surgeons.append(surgeon)

    have = ConsultationRequest.objects.count()
    if have >= total:
        return coordinator
    rng = random.Random(42)
    now = timezone.now()
    statuses = [s for s in Status if s not in (Status.CLOSED, Status.DUPLICATE)]
    batch = 5000
    started = time.perf_counter()
    for start in range(have, total, batch):
        rows = []
        for i in range(start, min(start + batch, total)):
            status = rng.choice(statuses)
            rows.append(
                ConsultationRequest(
                    submission_key=uuid.uuid4(),
                    status=status,
                    surgeon=rng.choice(surgeons)
                    if status in (Status.ROUTED, Status.REVIEWED)
                    else None,
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    email=f"patient{i}@example.org",
                    phone=f"+4420794{i:05d}"[:13],
                    preferred_contact="email",
                    date_of_birth="1985-01-01",
                    country="GB",
                    region="London",
                    symptoms="Volume loss after a laser treatment.",
                    goals="Natural result.",
                    privacy_notice_version="2026-11",
                    consent_privacy_at=now,
                    consent_photos_at=now,
                    consent_contact_at=now,
                )
            )
        created = ConsultationRequest.objects.bulk_create(rows)
        # auto_now_add ignores given values: spread the requests over a year.
        for case in created:
            case.created_at = now - timezone.timedelta(minutes=rng.randint(0, 525_600))
        ConsultationRequest.objects.bulk_update(created, ["created_at"])
        RequestConcern.objects.bulk_create(
            RequestConcern(consultation=case, area=area)
            for case in created
            for area in rng.sample(list(ConcernArea.values), rng.randint(1, 2))
        )
        Photo.objects.bulk_create(
            Photo(
                consultation=case,
                original_key=f"originals/{uuid.uuid4()}.jpg",
                content_type="image/jpeg",
                size=3_000_000,
                width=4000,
                height=3000,
            )
            for case in created
            for _ in range(rng.randint(1, 5))
        )
        print(f"  loaded {start + len(created):,} requests", end="\r", flush=True)
    print(f"  loaded {total:,} requests in {time.perf_counter() - started:.0f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return coordinator


def measure(client, url: str, rounds: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches
    timings = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    p95 = statistics.quantiles(timings, n=20)[-1]
    return statistics.median(timings), p95, len(queries.captured_queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    call_command("migrate", verbosity=0)
    coordinator = load(args.requests)

    from django.contrib.auth.models import User

    from consultations.models import ConsultationRequest

    sample = ConsultationRequest.objects.order_by("?").first()
    surgeon = User.objects.get(username="bench-surgeon-0")
    from tests.staff import signed_in

    # Staff pages want both factors: sign in through the real pages.
    client = signed_in(Client(), coordinator)
    pages = [
        ("queue, first page", "/staff/cases/"),
        ("queue, oldest first", "/staff/cases/?order=oldest"),
        ("queue, status + concern", "/staff/cases/?status=triage&concern=cheeks"),
        ("queue, surgeon + waiting 7+ days", f"/staff/cases/?surgeon={surgeon.pk}&waiting=7%2B"),
        ("search: reference", sample.reference),
        ("search: email", sample.email),
        ("search: phone", str(sample.phone)),
        ("search: name", sample.last_name),
        ("case page", f"/staff/cases/{sample.reference}/"),
    ]
    print(f"\n{ConsultationRequest.objects.count():,} requests, {args.rounds} rounds each\n")
    print("| page | median ms | p95 ms | queries |\n| --- | ---: | ---: | ---: |")
    for name, url in pages:
        if name.startswith("search"):
            # Search terms are POSTed (never in a URL) and kept in the session.
            client.post("/staff/cases/", {"q": url})
            url = "/staff/cases/?search=1"
        median, p95, queries = measure(client, url, args.rounds)
        print(f"| {name} | {median:.1f} | {p95:.1f} | {queries} |")


if __name__ == "__main__":
    main()
