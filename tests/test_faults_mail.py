"""Mail-server and database faults around a send never multiply a message.

Each test talks to a real SMTP server on a local port (tests/smtp_server.py)
through Django's SMTP backend, and breaks it the way the drills did.
"""

import os
import signal
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import Event, Notification, NotificationStatus
from notifications.selectors import notifications_failed_count
from notifications.services import (
    Recipient,
    notification_deliver,
    notification_enqueue,
    notifications_publish,
    notifications_retry,
    notifications_sweep,
)
from tests.conftest import free_port, start_worker, stop_worker, worker_env
from tests.factories import ConsultationRequestFactory
from tests.notify_support import wait_for
from tests.smtp_server import SMTPServer


@pytest.fixture
def smtp(settings):
    """Point Django's SMTP backend at a server the test configures."""
    servers = []

    def start(**options) -> SMTPServer:
        server = SMTPServer(**options)
        servers.append(server)
        settings.EMAIL_PORT = server.port
        return server

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
    # Were a failure retried, the eager task would retry at once, every time.
    settings.PORTAL_NOTIFY_RETRY_BASE_SECONDS = 0
    yield start
    for server in servers:
        server.close()


def enqueue_confirmation() -> Notification:
    with transaction.atomic():
        (row,) = notification_enqueue(
            consultation=ConsultationRequestFactory(),
            event=Event.REQUEST_CONFIRMATION,
            recipients=[Recipient.patient()],
        )
    return row


@pytest.mark.django_db
def test_a_250_later_than_the_timeout_delivers_once_and_is_marked_maybe_sent(
    smtp, django_capture_on_commit_callbacks
):
    server = smtp(answer_after=3)  # EMAIL_TIMEOUT is 1 s
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        row = enqueue_confirmation()
    elapsed = time.monotonic() - started
    server.wait_idle(timeout=10)

    assert len(server.messages) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.UNCERTAIN, 1)
    assert row.last_error == "SMTPServerDisconnected after hand-over"
    assert row.handed_over_at is not None and row.sent_at is None
    # One timeout, not eight: the worker is free again after EMAIL_TIMEOUT.
    assert elapsed < 2.5
    # Staff are told, and nothing sends it again by itself.
    assert notifications_failed_count() == 1
    assert notifications_sweep() == []
    assert notification_deliver(notification_id=row.pk).status == "skipped"
    # "Retry now" for failed rows leaves it alone; only an explicit send-again takes it.
    assert notifications_retry(notification_ids=[row.pk]) == 0
    assert len(server.messages) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("replies", "status", "error"),
    [
        ({"MAIL": "451 4.3.0 try later"}, NotificationStatus.PENDING, "SMTP 451"),
        ({"RCPT": "452 4.2.2 mailbox full"}, NotificationStatus.PENDING, "SMTP recipient"),
        ({"DATA": "554 5.7.1 refused"}, NotificationStatus.FAILED, "SMTP 554"),
        ({"EHLO": "421 4.3.2 busy", "HELO": "421 4.3.2 busy"}, NotificationStatus.PENDING, "SMTP"),
    ],
)
def test_a_refusal_before_the_message_is_taken_proves_nothing_went(
    smtp, settings, replies, status, error
):
    settings.PORTAL_NOTIFY_MAX_ATTEMPTS = 3
    server = smtp(replies=replies)
    row = enqueue_confirmation()
    notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == status and row.last_error.startswith(error)
    assert server.messages == []


@pytest.mark.django_db
def test_a_mail_server_that_is_down_is_retried(smtp, settings):
    smtp()
    settings.EMAIL_PORT = free_port()  # nobody listens there
    row = enqueue_confirmation()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.last_error) == (NotificationStatus.PENDING, "ConnectionRefusedError")
    assert row.handed_over_at is None


def terminate_backend(pid: int) -> None:
    """What a failover or a restarted database does to a worker's connection."""
    params = {**connection.get_connection_params()}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = connection.settings_dict["NAME"]
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_after_the_send_still_records_it_once(smtp):
    # Written directly: enqueueing would publish (and send) at commit already.
    row = Notification.objects.create(
        consultation=ConsultationRequestFactory(),
        event=Event.REQUEST_CONFIRMATION,
        channel="email",
        recipient_kind="patient",
    )
    worker_pid = connection.cursor().connection.info.backend_pid
    # The server kills the sender's database connection as it takes the
    # message, so the final "sent" update meets a dead connection.
    server = smtp(on_message=lambda: terminate_backend(worker_pid))

    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT

    assert connection.cursor().connection.info.backend_pid != worker_pid
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)
    assert notifications_sweep() == []
    assert len(server.messages) == 1


@pytest.mark.django_db
def test_staff_see_a_maybe_sent_row_and_send_it_again_only_on_purpose(
    smtp, admin_client, django_capture_on_commit_callbacks
):
    server = smtp(answer_after=2)
    with django_capture_on_commit_callbacks(execute=True):
        row = enqueue_confirmation()
    server.wait_idle(timeout=10)
    url = reverse("admin:notifications_notification_changelist")

    page = admin_client.get(url, {"status__in": "failed,uncertain"}).content.decode()
    assert "Maybe sent (check)" in page and "after hand-over" in page
    retried = admin_client.post(
        url, {"action": "retry_now", "_selected_action": [str(row.pk)]}, follow=True
    )
    assert "may already have arrived" in retried.content.decode()
    row.refresh_from_db()
    assert row.status == NotificationStatus.UNCERTAIN and len(server.messages) == 1

    server.answer_after = 0
    with django_capture_on_commit_callbacks(execute=True):
        sent = admin_client.post(
            url,
            {"action": "send_again_maybe_duplicate", "_selected_action": [str(row.pk)]},
            follow=True,
        )
    assert "may get them twice" in sent.content.decode()
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and len(server.messages) == 2


@pytest.mark.worker
def test_a_worker_lost_after_the_hand_over_is_not_sent_twice(
    smtp, celery_app_on_broker, redis_url, transactional_db, private_root, tmp_path
):
    workers = []
    # The relay takes the message, then the worker dies before it hears "250":
    # its final update never happens, as when the database is gone for good.
    server = smtp(on_message=lambda: os.kill(workers[0].pid, signal.SIGKILL))
    env = worker_env(redis_url=redis_url, mail_dir=tmp_path, private_root=private_root)
    env.update(EMAIL_URL=f"smtp://127.0.0.1:{server.port}", PORTAL_NOTIFY_CLAIM_SECONDS="3")
    workers.append(start_worker(app=celery_app_on_broker, env=env, log_path=tmp_path / "w1.log"))
    try:
        row = enqueue_confirmation()
        wait_for(lambda: workers[0].poll() is not None, what="the worker to die")
        row.refresh_from_db()
        assert row.status == NotificationStatus.SENDING and row.handed_over_at is not None

        second = start_worker(app=celery_app_on_broker, env=env, log_path=tmp_path / "w2.log")
        workers.append(second)
        wait_for(lambda: timezone.now() > row.claimed_until, what="the lease to expire")
        # A redelivery of the lost task reaches the live worker, then the sweep
        # runs: neither sends it again.
        assert notifications_publish(notification_ids=[row.pk]) == 1
        time.sleep(1.5)
        assert notifications_sweep() == []
        time.sleep(1)
    finally:
        for worker in workers:
            stop_worker(worker)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.UNCERTAIN, 1)
    assert row.last_error == "no answer recorded after hand-over"
    assert len(server.messages) == 1
