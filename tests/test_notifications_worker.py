"""Notifications through a real Celery worker process on Redis."""

import subprocess
import time

import pytest
from django.db import transaction
from django.utils import timezone

from consultations.models import ConsultationRequest
from notifications.models import Event, Notification, NotificationStatus
from notifications.services import Recipient, notification_enqueue, notifications_sweep
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload
from tests.notify_support import (
    assert_no_phi,
    coordinator,
    mail_files_messages,
    message_texts,
    spawn_worker,
    wait_for,
)
from tests.submission import PATIENT, submit

pytestmark = pytest.mark.worker


def test_a_submission_emails_the_staff_and_the_patient(celery_worker, client, settings):
    settings.PORTAL_CLINIC_NOTIFY_EMAIL = "inbox@clinic.example"
    coordinator("cora")
    coordinator("colin")

    response = submit(client, [jpeg_upload()])
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()

    try:
        wait_for(lambda: len(mail_files_messages(celery_worker.mail_dir)) >= 4, what="4 emails")
    except AssertionError:
        pytest.fail(f"no emails; worker log:\n{celery_worker.log()}")
    time.sleep(1)  # nothing more should follow
    messages = mail_files_messages(celery_worker.mail_dir)
    assert sorted(str(m["To"]) for m in messages) == sorted(
        ["cora@clinic.example", "colin@clinic.example", "inbox@clinic.example", PATIENT["email"]]
    )
    for message in messages:
        subject, text, html = message_texts(message)
        assert consultation.reference in subject
        assert_no_phi(subject, text, html)
    patient = next(m for m in messages if str(m["To"]) == PATIENT["email"])
    assert message_texts(patient)[1].startswith("Thank you for your request.")
    statuses = set(consultation.notifications.values_list("status", flat=True))
    assert statuses == {NotificationStatus.SENT}


@pytest.fixture
def blocking_mail(monkeypatch, tmp_path):
    """Workers started after this hang inside the email backend while the marker exists."""
    marker = tmp_path / "block-mail"
    marker.write_text("")
    monkeypatch.setenv("PORTAL_EMAIL_BACKEND", "tests.notify_backends.BlockingFileBackend")
    monkeypatch.setenv("PORTAL_TEST_MAIL_BLOCK_MARKER", str(marker))
    monkeypatch.setenv("PORTAL_NOTIFY_CLAIM_SECONDS", "5")
    return marker


def test_a_worker_killed_mid_delivery_still_ends_with_exactly_one_email(
    blocking_mail, celery_worker, celery_app_on_broker, redis_url, tmp_path
):
    consultation = ConsultationRequestFactory()
    with transaction.atomic():
        (row,) = notification_enqueue(
            consultation=consultation,
            event=Event.REQUEST_CONFIRMATION,
            recipients=[Recipient.patient()],
        )
    # The worker claimed the row and is inside the email backend: kill it there.
    wait_for(blocking_mail.with_suffix(".started").exists, what="the delivery to start")
    celery_worker.kill()
    blocking_mail.unlink()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENDING, 1)
    assert mail_files_messages(celery_worker.mail_dir) == []
    # Within the lease nobody takes the row over ...
    assert notifications_sweep() == []

    second = spawn_worker(
        app=celery_app_on_broker,
        redis_url=redis_url,
        mail_dir=celery_worker.mail_dir,
        log_path=tmp_path / "second-worker.log",
    )
    try:
        wait_for(lambda: timezone.now() > row.claimed_until, what="the lease to expire")
        # ... after it, the sweep hands it to the live worker.
        assert notifications_sweep() == [row.pk]
        wait_for(lambda: mail_files_messages(celery_worker.mail_dir), what="the email")
        time.sleep(1.5)
        assert notifications_sweep() == []
        time.sleep(0.5)
    finally:
        second.terminate()
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()

    messages = mail_files_messages(celery_worker.mail_dir)
    assert [str(m["To"]) for m in messages] == [consultation.email]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)
    assert Notification.objects.count() == 1
