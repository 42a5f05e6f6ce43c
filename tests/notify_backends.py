"""Email backends for the notification tests, chosen by dotted path."""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class DownBackend(LocmemBackend):
    """A mail server that cannot be reached."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")


class RefusingBackend(LocmemBackend):
    """A mail server that refuses the message for good."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(550, b"5.7.1 rejected")


class SlowBackend(LocmemBackend):
    """Takes its time, so two concurrent deliveries overlap."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


class BlockingFileBackend(FileBackend):
    """The file backend, but it hangs while connecting as long as the marker
    file exists (a mail server slow to greet).

    Lets a test SIGKILL a worker in the middle of a delivery: the backend
    writes ``<marker>.started`` and waits, before the message is handed over.
    """

    def open(self):
        marker = Path(os.environ["PORTAL_TEST_MAIL_BLOCK_MARKER"])
        if marker.exists():
            marker.with_suffix(".started").write_text(str(os.getpid()))
            deadline = time.monotonic() + 60
            while marker.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().open()
