"""Text messages through a real Celery worker process on Redis, to a stand-in for
Twilio's API on a local port (tests/sms_server.py) that fails when told to.

``fake_twilio`` comes before ``celery_worker`` in each test's arguments: it sets
the environment the worker is started with.
"""

import time

import pytest
from django.db import transaction

from consultations.models import ConsultationRequest
from consultations.status_links import status_url
from notifications.models import Channel, Event, Notification, NotificationStatus
from notifications.services import Recipient, notification_enqueue, notifications_sweep
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload
from tests.notify_support import assert_no_phi, coordinator, mail_files_messages, wait_for
from tests.sms_support import BASIC_AUTH, MESSAGES_PATH, SENDER
from tests.submission import MOBILE, PATIENT, submit

pytestmark = pytest.mark.worker


def settled(row: Notification, *statuses) -> bool:
    row.refresh_from_db()
    return row.status in statuses


def enqueue_text() -> Notification:
    consultation = ConsultationRequestFactory(phone=MOBILE, preferred_contact="sms")
    with transaction.atomic():
        (row,) = notification_enqueue(
            consultation=consultation,
            event=Event.REQUEST_CONFIRMATION,
            recipients=[Recipient.patient()],
            channel=Channel.SMS,
        )
    return row


def test_a_patient_who_chose_texts_gets_a_text_with_reference_and_link_and_the_email(
    fake_twilio, celery_worker, client, caplog
):
    caplog.set_level("DEBUG")
    coordinator("cora")
    response = submit(client, [jpeg_upload()], preferred_contact="sms", phone=MOBILE)
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()

    sms = consultation.notifications.get(channel=Channel.SMS)
    try:
        wait_for(lambda: settled(sms, NotificationStatus.SENT), what="the text")
        wait_for(lambda: len(mail_files_messages(celery_worker.mail_dir)) >= 2, what="2 emails")
    except AssertionError:
        pytest.fail(f"worker log:\n{celery_worker.log()}")
    time.sleep(1)  # nothing more should follow

    (request,) = fake_twilio.received
    assert (request.path, request.headers["authorization"]) == (MESSAGES_PATH, BASIC_AUTH)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sorted(request.fields) == ["Body", "From", "StatusCallback", "To"]
    assert request.fields["StatusCallback"] == [f"http://portal.test/sms/status/{sms.pk}/"]
    assert (request.fields["To"], request.fields["From"]) == (["+447400123456"], [SENDER])
    (body,) = request.fields["Body"]
    assert consultation.reference in body
    assert status_url(consultation) in body
    # Nothing the patient typed, in the text or in any log line of either process.
    assert_no_phi(body, celery_worker.log(), caplog.text)
    assert sms.provider_message_id == fake_twilio.created[0]
    # The email still goes to the patient, and to the staff.
    recipients = sorted(str(m["To"]) for m in mail_files_messages(celery_worker.mail_dir))
    assert recipients == sorted(["cora@clinic.example", PATIENT["email"]])


def test_a_503_is_retried_and_then_sent(fake_twilio, celery_worker):
    fake_twilio.fail_next(503, 20503, "Service unavailable")
    row = enqueue_text()

    wait_for(lambda: settled(row, NotificationStatus.SENT), what="the retried text")
    assert len(fake_twilio.received) == 2
    assert row.attempts == 2 and row.last_error == ""
    assert row.provider_message_id == fake_twilio.created[0]


def test_an_invalid_number_fails_at_once_without_a_retry(fake_twilio, celery_worker):
    fake_twilio.fail_next(400, 21211, "The 'To' number is not a valid phone number.")
    row = enqueue_text()

    wait_for(lambda: settled(row, NotificationStatus.FAILED), what="the failure")
    time.sleep(2)  # a retry would come after 1 s
    assert len(fake_twilio.received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert row.last_error == "SMS HTTP 400 Twilio error 21211"


def test_a_hang_after_the_request_went_is_maybe_sent_and_never_sent_again(
    fake_twilio, celery_worker
):
    fake_twilio.hang_for = 3  # the worker's PORTAL_SMS_TIMEOUT is 1 s
    row = enqueue_text()

    wait_for(lambda: settled(row, NotificationStatus.UNCERTAIN), what="maybe sent")
    assert row.last_error == "SMS TimeoutError after hand-over"
    assert notifications_sweep() == []
    time.sleep(2)
    assert len(fake_twilio.received) == 1
    assert settled(row, NotificationStatus.UNCERTAIN)


def test_a_patient_who_chose_email_gets_no_text(fake_twilio, celery_worker, client):
    coordinator("cora")
    response = submit(client, [jpeg_upload()], preferred_contact="email", phone=MOBILE)
    assert response.status_code == 302

    wait_for(lambda: len(mail_files_messages(celery_worker.mail_dir)) >= 2, what="2 emails")
    time.sleep(1.5)  # a text would have gone by now
    assert fake_twilio.received == []
    assert not Notification.objects.filter(channel=Channel.SMS).exists()


def test_with_the_email_turned_off_the_patient_gets_only_the_text(
    fake_twilio, settings, celery_worker, client
):
    # Decided where the rows are recorded: the web request, in this process.
    settings.PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT = False
    coordinator("cora")
    response = submit(client, [jpeg_upload()], preferred_contact="sms", phone=MOBILE)
    assert response.status_code == 302

    wait_for(lambda: fake_twilio.received, what="the text")
    wait_for(lambda: mail_files_messages(celery_worker.mail_dir), what="the staff email")
    time.sleep(1.5)  # nothing more should follow
    assert [str(m["To"]) for m in mail_files_messages(celery_worker.mail_dir)] == [
        "cora@clinic.example"
    ]
    assert len(fake_twilio.received) == 1


def test_with_the_email_off_a_refused_text_is_followed_by_the_email(
    fake_twilio, settings, celery_worker, client
):
    settings.PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT = False
    fake_twilio.fail_next(400, 21211)
    coordinator("cora")
    response = submit(client, [jpeg_upload()], preferred_contact="sms", phone=MOBILE)
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()

    try:
        # Queued by the worker that saw the refusal, and sent by it.
        wait_for(lambda: len(mail_files_messages(celery_worker.mail_dir)) >= 2, what="2 emails")
    except AssertionError:
        pytest.fail(f"worker log:\n{celery_worker.log()}")
    time.sleep(1.5)  # nothing more should follow
    recipients = sorted(str(m["To"]) for m in mail_files_messages(celery_worker.mail_dir))
    assert recipients == sorted(["cora@clinic.example", PATIENT["email"]])
    email = consultation.notifications.get(fallback_for__isnull=False)
    assert settled(email, NotificationStatus.SENT)
    assert email.fallback_for == consultation.notifications.get(channel=Channel.SMS)
