"""Helpers for the notification tests: staff users, PHI to look for, sent mail."""

import email
import email.policy
import os
import time
from pathlib import Path

from django.contrib.auth.models import Group, User

from consultations.roles import COORDINATORS, SURGEONS
from tests.submission import PATIENT

# Everything the patient typed that could identify them or their health.
PHI = [
    PATIENT["first_name"],
    PATIENT["last_name"],
    PATIENT["email"],
    PATIENT["phone"],
    "+442079460958",
    "020 7946 0958",
    "7946",
    PATIENT["symptoms"],
    PATIENT["symptoms"][:30],
    "laser",
    PATIENT["goals"][:30],
]


def assert_no_phi(*texts: str) -> None:
    for text in texts:
        for secret in PHI:
            assert secret.lower() not in text.lower(), f"{secret!r} found in {text[:200]!r}"


def coordinator(username: str, *, active: bool = True, email_address: str = "") -> User:
    user = User.objects.create_user(
        username,
        email=email_address or f"{username}@clinic.example",
        password="irrelevant-password-123",
        is_active=active,
        is_staff=True,
    )
    # get_or_create: a transactional test's flush removes the migration's groups.
    user.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])
    return user


def surgeon(username: str) -> User:
    user = User.objects.create_user(
        username, email=f"{username}@clinic.example", password="irrelevant-password-123"
    )
    user.groups.add(Group.objects.get_or_create(name=SURGEONS)[0])
    return user


def mail_files_messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Messages written by Django's file email backend (one or more per file)."""
    messages = []
    for path in sorted(Path(mail_dir).glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def message_texts(message: email.message.EmailMessage) -> tuple[str, str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return str(message["Subject"]), text, html


def wait_for(predicate, *, timeout: float = 20, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def env_path(name: str) -> Path:
    return Path(os.environ[name])


def spawn_worker(*, app, redis_url: str, mail_dir: Path, log_path: Path):
    """Another `celery worker` like the conftest's, writing mail into the same directory."""
    import subprocess
    import sys
    import uuid

    from django.conf import settings

    from tests.conftest import _database_url_for_subprocess

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url_for_subprocess(),
        "CELERY_BROKER_URL": redis_url,
        # django-environ drops one leading slash of the path.
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "PORTAL_SITE_URL": settings.PORTAL_SITE_URL,
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
            + ["--loglevel=INFO", "--without-gossip", "--without-mingle"]
            + ["-n", f"second-{uuid.uuid4().hex[:8]}@%h"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while len(app.control.ping(timeout=0.5)) < 1:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"second worker did not start:\n{log_path.read_text()}")
    return process
