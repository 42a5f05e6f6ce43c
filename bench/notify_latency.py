"""Notification latency: committed submission -> staff email handed to the backend.

Starts its own Celery worker on Redis, uses its own PostgreSQL database
(dropped and created again), submits requests one after another through
``consultation_submit`` (no photos: this measures the notification path) and
reads the times at which the worker handed each staff email to a
timestamping email backend. The clock starts in an on_commit callback
registered before the submission, i.e. right after COMMIT and before the
notification tasks are published.

    uv run python bench/notify_latency.py --count 200
"""

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between submissions")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    parser.add_argument("--database", default="bench_notify")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--coordinators", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (prefork)")
    return parser.parse_args()


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, {platform.platform()}"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    args = parse_args()
    stamps = Path(tempfile.mkdtemp(prefix="notify-bench-")) / "stamps.txt"
    stamps.touch()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{args.pg}/{args.database}",
        CELERY_BROKER_URL=args.redis,
        PORTAL_EMAIL_BACKEND="bench.timestamp_backend.TimestampBackend",
        PORTAL_BENCH_STAMPS=str(stamps),
        PORTAL_LOG_LEVEL="WARNING",
        PORTAL_CLINIC_NOTIFY_EMAIL="",
        PORTAL_STAFF_WEBHOOK_URL="",
    )
    recreate_database(args.pg, args.database)

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction

    from config.celery import app
    from consultations.access import StaffRole, grant_role
    from consultations.submission import consultation_submit

    call_command("migrate", verbosity=0)
    for n in range(args.coordinators):
        user = User.objects.create_user(f"coordinator{n}", email=f"c{n}@clinic.example")
        grant_role(user, StaffRole.COORDINATOR)
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()

    pool = ["--pool=solo"] if args.concurrency == 1 else [f"--concurrency={args.concurrency}"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING"]
        + pool
        + ["--without-gossip", "--without-mingle", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                sys.exit("the Celery worker did not start")

        committed: dict[str, float] = {}
        patient = {
            "first_name": "Bench",
            "last_name": "Patient",
            "email": "bench.patient@example.org",
            "phone": "+442079460958",
            "preferred_contact": "email",
            "date_of_birth": datetime.date(1985, 6, 1),
            "country": "GB",
            "region": "London",
            "symptoms": "Benchmark request.",
            "goals": "Benchmark request.",
        }
        for _ in range(args.count):
            clock: list[float] = []
            with transaction.atomic():
                # Registered first, so it runs right after COMMIT, before the publishes.
                transaction.on_commit(lambda clock=clock: clock.append(time.time()))
                consultation = consultation_submit(
                    submission_key=uuid.uuid4(),
                    **patient,
                    concerns=["cheeks"],
                    treatments=[],
                    photos=[],
                )
            committed[consultation.reference] = clock[0]
            time.sleep(args.interval)

        staff_subject = re.compile(r"^([\d.]+) New consultation request (CR-\w{4}-\w{4})$")
        expected = args.count * args.coordinators
        deadline = time.monotonic() + 120
        while True:
            handed: dict[str, list[float]] = {}
            for line in stamps.read_text().splitlines():
                if match := staff_subject.match(line):
                    handed.setdefault(match[2], []).append(float(match[1]))
            if sum(map(len, handed.values())) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)

    # Latency of a request: until its *last* staff email was handed over.
    latencies = [(max(handed[ref]) - t0) * 1000 for ref, t0 in committed.items() if ref in handed]
    missing = args.count - len(latencies)
    print(f"machine: {machine()}")
    print(
        f"submissions: {args.count}, coordinators: {args.coordinators}, "
        f"worker: {'solo' if args.concurrency == 1 else f'prefork x{args.concurrency}'}, "
        f"interval: {args.interval * 1000:.0f} ms, missing: {missing}"
    )
    print(
        f"commit -> last staff email handed to backend: "
        f"median {statistics.median(latencies):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms"
    )
    if missing:
        sys.exit(f"{missing} staff notifications never arrived")


if __name__ == "__main__":
    main()
