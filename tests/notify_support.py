"""Helpers for the notification tests: staff users, PHI to look for, sent mail."""

import email
import email.policy
import os
import time
from pathlib import Path

from django.contrib.auth.models import User

from consultations.access import StaffRole
from tests.staff import make_user
from tests.submission import MOBILE, PATIENT

# Everything the patient typed that could identify them or their health.
PHI = [
    PATIENT["first_name"],
    PATIENT["last_name"],
    PATIENT["email"],
    PATIENT["phone"],
    "+442079460958",
    "020 7946 0958",
    # Not "7946" alone: ids and task UUIDs contain four-digit runs by chance.
    "7946 0958",
    "79460958",
    MOBILE,
    "+447400123456",
    "07400 123456",
    "7400 123456",
    "7400123456",
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
    extra = {"email": email_address} if email_address else {}
    return make_user(username, StaffRole.COORDINATOR, is_active=active, is_staff=True, **extra)


def surgeon(username: str) -> User:
    return make_user(username, StaffRole.SURGEON)


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
    from django.conf import settings

    from tests.conftest import start_worker, worker_env

    private_root = settings.STORAGES["private"]["OPTIONS"].get("location", "")
    env = worker_env(redis_url=redis_url, mail_dir=mail_dir, private_root=private_root)
    return start_worker(app=app, env=env, log_path=log_path, prefix="second")
