"""A patient's text that fails for good is followed by the same message by
email when the clinic had turned their emails off (notifications/fallback.py),
against the local stand-in for Twilio (tests/sms_server.py)."""

import pytest
from django.core import mail

from notifications.events import notify_request_submitted
from notifications.models import Channel, Event, Notification, NotificationStatus, RecipientKind
from notifications.selectors import patient_messages
from notifications.services import notification_deliver
from tests.notify_support import assert_no_phi
from tests.submission import PATIENT
from tests.test_sms_delivery_reports import report
from tests.test_sms_transport import patient_case, patient_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_off(settings):
    settings.PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT = False


def submitted(django_capture_on_commit_callbacks):
    case = patient_case()
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(case)
    return case


def patient_emails():
    return [m for m in mail.outbox if m.to == [PATIENT["email"]]]


def test_a_refused_number_is_followed_by_the_email(
    fake_twilio, email_off, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next(400, 21211)
    case = submitted(django_capture_on_commit_callbacks)

    assert patient_rows(case) == [("email", "sent"), ("sms", "failed")]
    email = case.notifications.get(channel=Channel.EMAIL, recipient_kind=RecipientKind.PATIENT)
    assert email.fallback_for == case.notifications.get(channel=Channel.SMS)
    (message,) = patient_emails()
    assert case.reference in message.subject + message.body
    assert_no_phi(message.subject, message.body)
    # Staff see why the patient got an email they had turned off.
    assert [(m.channel, m.outcome) for m in patient_messages(case)] == [
        ("Text message", "failed"),
        ("Email, as the text did not reach them", "sent"),
    ]


def test_with_the_email_on_nothing_more_is_sent(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.fail_next(400, 21211)
    case = submitted(django_capture_on_commit_callbacks)

    assert patient_rows(case) == [("email", "sent"), ("sms", "failed")]
    assert len(patient_emails()) == 1
    assert not Notification.objects.filter(fallback_for__isnull=False).exists()


def test_retries_spent_on_an_outage_are_followed_by_the_email(
    fake_twilio, email_off, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_NOTIFY_MAX_ATTEMPTS = 2
    fake_twilio.fail_next(503, 20503)
    fake_twilio.fail_next(503, 20503)
    case = submitted(django_capture_on_commit_callbacks)
    text = case.notifications.get(channel=Channel.SMS)
    assert text.status == NotificationStatus.PENDING  # the first attempt failed
    assert patient_emails() == []

    text.next_attempt_at = text.created_at  # due now
    text.save(update_fields=["next_attempt_at"])
    with django_capture_on_commit_callbacks(execute=True):
        notification_deliver(notification_id=text.pk)

    assert patient_rows(case) == [("email", "sent"), ("sms", "failed")]
    assert len(patient_emails()) == 1


def test_a_text_reported_undelivered_is_followed_by_the_email_once(
    client, fake_twilio, email_off, django_capture_on_commit_callbacks
):
    case = submitted(django_capture_on_commit_callbacks)
    text = case.notifications.get(channel=Channel.SMS)
    assert text.status == NotificationStatus.SENT and patient_emails() == []
    (request,) = fake_twilio.received
    (callback,) = request.fields["StatusCallback"]

    with django_capture_on_commit_callbacks(execute=True):
        report(client, callback, "undelivered", sid=text.provider_message_id, ErrorCode="30005")
        # Twilio may report the final stage again: still one email.
        report(client, callback, "failed", sid=text.provider_message_id, ErrorCode="30005")

    assert len(patient_emails()) == 1
    assert case.notifications.get(fallback_for=text).event == Event.REQUEST_CONFIRMATION


def test_a_delivered_text_needs_no_email(
    client, fake_twilio, email_off, django_capture_on_commit_callbacks
):
    case = submitted(django_capture_on_commit_callbacks)
    text = case.notifications.get(channel=Channel.SMS)
    (callback,) = fake_twilio.received[0].fields["StatusCallback"]
    with django_capture_on_commit_callbacks(execute=True):
        report(client, callback, "delivered", sid=text.provider_message_id)
    assert patient_emails() == []
