"""Text messages to patients who chose them: who gets one, what it says, and what
each answer of Twilio's API makes of the notification. Each test talks to a
stand-in for Twilio on a local port (tests/sms_server.py) over HTTP.

The same through a real Celery worker: tests/test_sms_worker.py.
"""

import logging

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from consultations.status_links import status_url
from notifications.content import sms_render
from notifications.events import (
    HELD_BACK_SMS,
    notify_more_info_requested,
    notify_request_submitted,
)
from notifications.models import Channel, Event, Notification, NotificationStatus, RecipientKind
from notifications.services import Recipient, notification_deliver, notification_enqueue
from tests.conftest import free_port
from tests.factories import ConsultationRequestFactory
from tests.notify_support import assert_no_phi, coordinator
from tests.sms_support import BASIC_AUTH, MESSAGES_PATH, SENDER, gsm7_length, segments
from tests.submission import MOBILE, PATIENT

pytestmark = pytest.mark.django_db


def patient_case(**fields):
    values = {
        "first_name": PATIENT["first_name"],
        "last_name": PATIENT["last_name"],
        "email": PATIENT["email"],
        "phone": MOBILE,
        "preferred_contact": "sms",
        "symptoms": PATIENT["symptoms"],
        "goals": PATIENT["goals"],
    }
    return ConsultationRequestFactory(**{**values, **fields})


def patient_rows(consultation, event=Event.REQUEST_CONFIRMATION):
    rows = consultation.notifications.filter(recipient_kind=RecipientKind.PATIENT, event=event)
    return sorted(rows.values_list("channel", "status"))


def enqueue_text(consultation=None, event=Event.REQUEST_CONFIRMATION) -> Notification:
    with transaction.atomic():
        (row,) = notification_enqueue(
            consultation=consultation or patient_case(),
            event=event,
            recipients=[Recipient.patient()],
            channel=Channel.SMS,
        )
    return row


# --- Who gets a text ----------------------------------------------------------------


def test_a_patient_who_chose_texts_gets_a_text_and_the_email(
    fake_twilio, django_capture_on_commit_callbacks
):
    coordinator("cora")
    case = patient_case()
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(case)

    assert patient_rows(case) == [("email", "sent"), ("sms", "sent")]
    assert [m.to for m in mail.outbox if m.to == [PATIENT["email"]]] == [[PATIENT["email"]]]
    (request,) = fake_twilio.received
    assert request.fields["To"] == ["+447400123456"]


def test_a_patient_who_chose_email_gets_no_text(fake_twilio, django_capture_on_commit_callbacks):
    case = patient_case(preferred_contact="email")
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(case)
        notify_more_info_requested(case)

    assert patient_rows(case) == [("email", "sent")]
    assert patient_rows(case, Event.MORE_INFO_REQUESTED) == [("email", "sent")]
    assert fake_twilio.received == []


def test_a_phone_call_patient_gets_no_text_either(fake_twilio, django_capture_on_commit_callbacks):
    case = patient_case(preferred_contact="phone")
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(case)
    assert patient_rows(case) == [("email", "sent")]
    assert fake_twilio.received == []


def test_the_clinic_can_turn_the_email_off_for_patients_who_chose_texts(
    fake_twilio, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT = False
    coordinator("cora")
    case = patient_case()
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(case)
        notify_more_info_requested(case)

    assert patient_rows(case) == [("sms", "sent")]
    assert patient_rows(case, Event.MORE_INFO_REQUESTED) == [("sms", "sent")]
    # The staff still hear of it by email; the patient only by text.
    assert [m.to for m in mail.outbox] == [["cora@clinic.example"]]
    assert len(fake_twilio.received) == 2


def test_with_texts_off_every_patient_gets_email_whatever_the_email_setting(
    fake_twilio, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_SMS_BACKEND = "off"
    settings.PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT = False
    case = patient_case()
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(case)
    assert patient_rows(case) == [("email", "sent")]
    assert fake_twilio.received == []


def test_a_text_queued_before_texts_were_turned_off_is_cancelled(fake_twilio, settings):
    row = enqueue_text()
    settings.PORTAL_SMS_BACKEND = "off"
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.CANCELLED
    assert fake_twilio.received == []


def test_more_information_requested_is_texted_too(fake_twilio, django_capture_on_commit_callbacks):
    case = patient_case()
    with django_capture_on_commit_callbacks(execute=True):
        notify_more_info_requested(case)

    assert patient_rows(case, Event.MORE_INFO_REQUESTED) == [("email", "sent"), ("sms", "sent")]
    (request,) = fake_twilio.received
    body = request.fields["Body"][0]
    assert "question" in body and case.reference in body and status_url(case) in body
    assert_no_phi(body)


def test_a_request_marked_as_spam_is_not_texted(fake_twilio):
    row = enqueue_text()
    row.consultation.status = "spam"
    row.consultation.save(update_fields=["status"])
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.CANCELLED
    assert fake_twilio.received == []


def test_texts_to_one_number_are_held_back_after_the_daily_limit(
    fake_twilio, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_CONFIRMATIONS_PER_ADDRESS_PER_DAY = 2
    # Different email addresses, the same phone: the number's limit counts.
    cases = [patient_case(email=f"someone{n}@example.org") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for case in cases:
            notify_request_submitted(case)

    assert patient_rows(cases[2]) == [("email", "sent"), ("sms", "cancelled")]
    held = cases[2].notifications.get(channel=Channel.SMS)
    assert held.last_error == HELD_BACK_SMS
    assert len(fake_twilio.received) == 2


# --- What Twilio receives -------------------------------------------------------------


def test_the_request_is_what_twilios_messages_api_expects(fake_twilio, caplog):
    caplog.set_level(logging.DEBUG)
    row = enqueue_text()
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT

    (request,) = fake_twilio.received
    assert (request.method, request.path) == ("POST", MESSAGES_PATH)
    assert request.headers["authorization"] == BASIC_AUTH
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    body = sms_render(row)
    assert request.fields == {
        "To": ["+447400123456"],
        "From": [SENDER],
        "Body": [body],
        # Where Twilio reports delivery (tests/test_sms_delivery_reports.py).
        "StatusCallback": [f"http://portal.test/sms/status/{row.pk}/"],
    }
    row.refresh_from_db()
    assert row.provider_message_id == fake_twilio.created[0]
    assert row.provider_message_id.startswith("SM")
    assert_no_phi(body, caplog.text, *(r.getMessage() for r in caplog.records))


def test_without_status_callbacks_none_is_asked_for(fake_twilio, settings):
    settings.PORTAL_SMS_STATUS_CALLBACKS = False
    notification_deliver(notification_id=enqueue_text().pk)
    (request,) = fake_twilio.received
    assert sorted(request.fields) == ["Body", "From", "To"]


def test_a_messaging_service_sends_instead_of_a_number(fake_twilio, settings):
    settings.PORTAL_SMS_MESSAGING_SERVICE_SID = "MG" + "9" * 32
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    (request,) = fake_twilio.received
    assert request.fields["MessagingServiceSid"] == ["MG" + "9" * 32]
    assert "From" not in request.fields


def test_the_text_holds_the_reference_and_status_link_and_nothing_the_patient_typed(
    fake_twilio,
):
    case = patient_case()
    for event in (Event.REQUEST_CONFIRMATION, Event.MORE_INFO_REQUESTED):
        body = sms_render(enqueue_text(case, event))
        assert case.reference in body
        assert status_url(case) in body
        assert_no_phi(body)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("event", [Event.REQUEST_CONFIRMATION, Event.MORE_INFO_REQUESTED])
def test_each_text_is_plain_gsm7_and_at_most_two_parts_on_a_real_address(settings, event, language):
    # A realistic public address and a long clinic name; the link alone is
    # about 100 characters (a signed token), so one part of 160 is not enough.
    # The Spanish texts avoid á, í, ó and ú, which GSM-7 lacks: one of them
    # would send the whole text as UCS-2, 70 characters a part.
    settings.PORTAL_SITE_URL = "https://consult.harbourplasticsurgery.example"
    settings.PORTAL_CLINIC_NAME = "Harbour Plastic Surgery & Aesthetics"
    row = enqueue_text(patient_case(language=language), event)
    with translation.override(language):
        body = sms_render(row)
    assert ("solicitud" in body) == (language == "es"), body
    assert gsm7_length(body) is not None, f"not GSM-7, would cost UCS-2 parts: {body!r}"
    assert segments(body) <= 2, (len(body), body)
    assert "&amp;" not in body


def test_the_segment_counter_counts_like_the_networks():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("€" * 80) == 1  # two septets each
    assert segments("’" * 70) == 1  # a curly quote: UCS-2
    assert segments("’" * 71) == 2


# --- What each answer means ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (503, 20503, NotificationStatus.PENDING),
        (500, 20500, NotificationStatus.PENDING),
        (429, 20429, NotificationStatus.PENDING),
        # Wrong credentials: nothing went, and the clinic can fix them.
        (401, 20003, NotificationStatus.PENDING),
        (400, 21211, NotificationStatus.FAILED),  # invalid 'To' number
        (400, 21610, NotificationStatus.FAILED),  # the patient replied STOP
        (400, 21614, NotificationStatus.FAILED),  # not a mobile number
        (404, 20404, NotificationStatus.FAILED),
    ],
)
def test_twilios_error_statuses(fake_twilio, status, code, outcome):
    fake_twilio.fail_next(status, code)
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == outcome
    assert row.last_error == f"SMS HTTP {status} Twilio error {code}"
    assert row.provider_message_id == ""
    assert len(fake_twilio.received) == 1


def test_twilios_error_message_which_may_quote_the_number_is_never_kept(fake_twilio, caplog):
    caplog.set_level(logging.DEBUG)
    fake_twilio.fail_next(400, 21211, "The 'To' number +447400123456 is not a valid phone number.")
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED
    assert_no_phi(row.last_error, caplog.text)


def test_twilio_unreachable_is_retried(fake_twilio, settings):
    settings.PORTAL_SMS_API_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens
    row = enqueue_text()
    result = notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert row.last_error == "SMS ConnectionRefusedError"
    assert result.retry_in is not None


def test_an_unknown_host_is_retried(fake_twilio, settings):
    settings.PORTAL_SMS_API_URL = "http://sms-api.invalid"
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert row.last_error == "SMS gaierror"


def test_no_answer_after_the_request_went_is_maybe_sent_and_never_resent(fake_twilio):
    fake_twilio.hang_for = 2.5  # PORTAL_SMS_TIMEOUT is 1 s
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.UNCERTAIN
    assert row.last_error == "SMS TimeoutError after hand-over"
    assert row.handed_over_at is not None and row.sent_at is None
    assert notification_deliver(notification_id=row.pk).status == "skipped"
    assert len(fake_twilio.received) == 1


def test_a_text_to_staff_is_refused_for_good(fake_twilio):
    with transaction.atomic():
        (row,) = notification_enqueue(
            consultation=patient_case(),
            event=Event.REQUEST_SUBMITTED,
            recipients=[Recipient.user(coordinator("cora"))],
            channel=Channel.SMS,
        )
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.last_error) == (
        NotificationStatus.FAILED,
        "text messages go to patients only",
    )
    assert fake_twilio.received == []


# --- The demo: printed, without the number ---------------------------------------------


def test_the_console_backend_prints_the_text_without_the_number(settings, capsys):
    settings.PORTAL_SMS_BACKEND = "console"
    row = enqueue_text()
    assert notification_deliver(notification_id=row.pk).status == NotificationStatus.SENT
    printed = capsys.readouterr().out
    assert row.consultation.reference in printed
    assert status_url(row.consultation) in printed
    assert_no_phi(printed)
