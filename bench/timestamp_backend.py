"""An email backend for the benchmark: notes when each message was handed to it."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class TimestampBackend(BaseEmailBackend):
    """Appends "<unix time> <subject>" per message to $PORTAL_BENCH_STAMPS."""

    def send_messages(self, email_messages):
        now = time.time()
        with open(os.environ["PORTAL_BENCH_STAMPS"], "a") as stamps:
            for message in email_messages:
                stamps.write(f"{now:.6f} {message.subject}\n")
        return len(email_messages)
