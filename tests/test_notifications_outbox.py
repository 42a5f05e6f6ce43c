"""The outbox: rows written with the change, delivered after commit, retried,
never sent twice, and never lost when the broker is down."""

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from common.publish import broker_failure_forget
from consultations.models import ConsultationRequest
from notifications import services
from notifications.models import Event, Notification, NotificationStatus, RecipientKind
from notifications.selectors import notifications_failed_count
from notifications.services import (
    notification_deliver,
    notifications_retry,
    notifications_sweep,
    retry_delay,
)
from notifications.tasks import notification_deliver_task
from tests.conftest import _reset_broker_pools, free_port
from tests.images import jpeg_upload
from tests.notify_support import assert_no_phi, coordinator
from tests.submission import PATIENT, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db, settings):
    settings.PORTAL_CLINIC_NOTIFY_EMAIL = "inbox@clinic.example"
    return [
        coordinator("cora"),
        coordinator("colin"),
        coordinator("retired", active=False),
    ]


def submit_and_commit(client, capture, **overrides):
    with capture(execute=True) as callbacks:
        response = submit(client, [jpeg_upload()], **overrides)
    assert response.status_code == 302
    return ConsultationRequest.objects.get(), callbacks


def test_a_submission_records_one_row_per_recipient_in_its_transaction(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(client, [jpeg_upload()])
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    rows = Notification.objects.filter(consultation=consultation)
    assert sorted((n.event, n.recipient_label) for n in rows) == [
        (Event.REQUEST_CONFIRMATION, "The patient"),
        (Event.REQUEST_SUBMITTED, "inbox@clinic.example"),
        (Event.REQUEST_SUBMITTED, f"user #{staff[0].pk}"),
        (Event.REQUEST_SUBMITTED, f"user #{staff[1].pk}"),
    ]
    assert {n.status for n in rows} == {NotificationStatus.PENDING}
    # Nothing is sent before commit; the patient's address is not copied.
    assert mail.outbox == []
    assert callbacks, "delivery is queued with on_commit"
    patient_row = rows.get(recipient_kind=RecipientKind.PATIENT)
    assert patient_row.recipient_address == ""


def test_a_rolled_back_submission_leaves_no_notification(
    client, staff, storage_write_fails, django_capture_on_commit_callbacks
):
    storage_write_fails(FileSystemStorage, nth=2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")])

    assert response.status_code == 503
    assert Notification.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []


def test_after_commit_staff_and_patient_are_emailed(
    client, staff, django_capture_on_commit_callbacks
):
    consultation, _ = submit_and_commit(client, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["cora@clinic.example", "colin@clinic.example", "inbox@clinic.example", PATIENT["email"]]
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    for row in Notification.objects.all():
        assert row.attempts == 1 and row.sent_at and row.claimed_until is None
    patient_mail = next(m for m in mail.outbox if m.to == [PATIENT["email"]])
    assert consultation.reference in patient_mail.subject
    assert "Thank you for your request" in patient_mail.body


def test_two_deliveries_of_one_row_send_one_email(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        submit(client, [jpeg_upload()])
    row = Notification.objects.filter(recipient_kind=RecipientKind.PATIENT).get()

    assert notification_deliver(notification_id=row.pk).status == "sent"
    assert notification_deliver(notification_id=row.pk).status == "skipped"
    notification_deliver_task.delay(row.pk)

    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_row_send_one_email(settings):
    from tests.factories import ConsultationRequestFactory

    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL (SQLite locks the whole file)")
    settings.EMAIL_BACKEND = "tests.notify_backends.SlowBackend"
    consultation = ConsultationRequestFactory()
    # Written directly, so no after-commit delivery runs first.
    row = Notification.objects.create(
        consultation=consultation,
        event=Event.REQUEST_CONFIRMATION,
        channel="email",
        recipient_kind=RecipientKind.PATIENT,
    )
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        barrier.wait()
        try:
            results.append(notification_deliver(notification_id=row.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(results) == ["sent", "skipped"]
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_is_retried_with_backoff_then_marked_failed(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notify_backends.DownBackend"
    settings.PORTAL_NOTIFY_MAX_ATTEMPTS = 3
    submit_and_commit(client, django_capture_on_commit_callbacks)
    row = Notification.objects.filter(recipient_kind=RecipientKind.PATIENT).get()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ConnectionRefusedError")
    first_wait = row.next_attempt_at - row.updated_at
    assert datetime.timedelta(seconds=29) < first_wait <= datetime.timedelta(seconds=31)

    # Not due yet: a delivery now does nothing.
    assert notification_deliver(notification_id=row.pk).status == "skipped"

    ids = list(Notification.objects.values_list("pk", flat=True))
    with time_machine.travel(row.next_attempt_at + datetime.timedelta(seconds=1)):
        results = [notification_deliver(notification_id=pk) for pk in ids]
    assert {(result.status, result.retry_in) for result in results} == {("pending", 60.0)}
    row.refresh_from_db()
    with time_machine.travel(row.next_attempt_at + datetime.timedelta(seconds=1)):
        results = [notification_deliver(notification_id=pk) for pk in ids]
    assert {result.status for result in results} == {"failed"}

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "ConnectionRefusedError")
    assert notifications_failed_count() == Notification.objects.count() == 4
    assert mail.outbox == []


def test_backoff_doubles_up_to_the_cap(settings):
    settings.PORTAL_NOTIFY_RETRY_BASE_SECONDS = 30
    settings.PORTAL_NOTIFY_RETRY_MAX_SECONDS = 200
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_a_refused_message_fails_at_once(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notify_backends.RefusingBackend"
    submit_and_commit(client, django_capture_on_commit_callbacks)
    row = Notification.objects.filter(recipient_kind=RecipientKind.PATIENT).get()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "SMTP 550")


def test_a_deactivated_coordinator_is_skipped_not_failed(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        submit(client, [jpeg_upload()])
    row = Notification.objects.get(recipient_user=staff[0])
    staff[0].is_active = False
    staff[0].save()
    assert notification_deliver(notification_id=row.pk).status == "cancelled"
    assert notifications_failed_count() == 0
    assert mail.outbox == []


def test_a_broker_outage_delays_the_notification_and_the_sweep_sends_it(
    client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notification_deliver_task, "apply_async", broker_down)
    consultation, _ = submit_and_commit(client, django_capture_on_commit_callbacks)

    rows = Notification.objects.filter(consultation=consultation)
    assert {(n.status, n.attempts) for n in rows} == {("pending", 0)}
    assert mail.outbox == []

    monkeypatch.undo()
    # The broker is back; this process stops skipping publishes at once.
    broker_failure_forget()
    # A fresh row may still have its own task on the way: the sweep waits a while.
    assert notifications_sweep() == []
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        assert sorted(notifications_sweep()) == sorted(n.pk for n in rows)

    assert {n.status for n in rows.all()} == {"sent"}
    assert len(mail.outbox) == 4


@pytest.fixture
def dead_broker():
    """This process's Celery app pointed at a port where no broker listens."""
    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    _reset_broker_pools(app)
    yield app
    app.conf.update(saved)
    _reset_broker_pools(app)


def test_a_dead_broker_does_not_fail_the_patients_submission(
    client, staff, dead_broker, django_capture_on_commit_callbacks
):
    started = timezone.now()
    consultation, _ = submit_and_commit(client, django_capture_on_commit_callbacks)
    assert timezone.now() - started < datetime.timedelta(seconds=15)
    assert {n.status for n in consultation.notifications.all()} == {"pending"}
    assert mail.outbox == []


def test_a_row_whose_sender_died_is_taken_over_after_its_lease(
    client, staff, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        submit(client, [jpeg_upload()])
    row = Notification.objects.filter(recipient_kind=RecipientKind.PATIENT).get()
    # A worker claims the row, then dies before sending.
    assert services._claim(row.pk) is not None

    assert notification_deliver(notification_id=row.pk).status == "skipped"
    assert row.pk not in notifications_sweep()
    lease_over = timezone.now() + datetime.timedelta(
        seconds=settings.PORTAL_NOTIFY_CLAIM_SECONDS + 1
    )
    with time_machine.travel(lease_over):
        assert row.pk in notifications_sweep()

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert [m.to for m in mail.outbox if m.to == [PATIENT["email"]]] == [[PATIENT["email"]]]


def test_a_row_that_kept_killing_its_worker_ends_failed(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_NOTIFY_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=False):
        submit(client, [jpeg_upload()])
    row = Notification.objects.filter(recipient_kind=RecipientKind.PATIENT).get()
    services._claim(row.pk)
    lease_over = timezone.now() + datetime.timedelta(
        seconds=settings.PORTAL_NOTIFY_CLAIM_SECONDS + 1
    )
    with time_machine.travel(lease_over):
        assert notification_deliver(notification_id=row.pk).status == "skipped"
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("failed", "last attempt did not finish")
    assert mail.outbox == []


def test_retry_gives_a_failed_row_new_attempts(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notify_backends.RefusingBackend"
    submit_and_commit(client, django_capture_on_commit_callbacks)
    assert notifications_failed_count() == 4

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = list(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_retry(notification_ids=ids) == 4
    assert notifications_failed_count() == 0
    assert len(mail.outbox) == 4


def test_the_admin_lists_filters_and_retries_failed_rows(
    client, staff, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notify_backends.RefusingBackend"
    consultation, _ = submit_and_commit(client, django_capture_on_commit_callbacks)
    url = reverse("admin:notifications_notification_changelist")

    page = admin_client.get(url, {"status__exact": "failed", "channel__exact": "email"})
    html = page.content.decode()
    assert page.status_code == 200
    assert consultation.reference in html and "SMTP 550" in html
    assert PATIENT["email"] not in html
    row = Notification.objects.filter(recipient_kind=RecipientKind.PATIENT).get()
    detail = admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert detail.status_code == 200
    assert PATIENT["email"] not in detail.content.decode()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "action": "retry_now",
                "_selected_action": [
                    str(pk) for pk in Notification.objects.values_list("pk", flat=True)
                ],
            },
        )
    assert response.status_code == 302
    assert notifications_failed_count() == 0
    assert len(mail.outbox) == 4


def test_logs_carry_ids_and_references_only(
    client, staff, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notify_backends.RefusingBackend"
    with caplog.at_level("DEBUG"):
        consultation, _ = submit_and_commit(client, django_capture_on_commit_callbacks)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert consultation.reference in logged and "notification failed id=" in logged
    assert_no_phi(logged)
    assert "cora@clinic.example" not in logged


def test_the_sweep_runs_on_a_schedule_and_retries_fit_the_visibility_timeout(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-sweep"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 300
    longest_retry = retry_delay(settings.PORTAL_NOTIFY_MAX_ATTEMPTS - 1)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > longest_retry
    assert visibility > settings.PORTAL_NOTIFY_CLAIM_SECONDS > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS["visibility_timeout"] == visibility
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
