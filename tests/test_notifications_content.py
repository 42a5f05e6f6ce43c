"""What notifications say: reference and link, branded, never PHI."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from consultations.status_links import status_url
from notifications.content import email_render, webhook_payload
from notifications.events import (
    notify_case_routed,
    notify_more_info_requested,
    notify_patient_replied,
    notify_request_submitted,
    notify_review_recorded,
)
from notifications.links import staff_case_url
from notifications.models import Channel, Event, Notification, NotificationStatus
from notifications.services import notification_deliver
from notifications.transports import TransportError, WebhookTransport
from tests.conftest import free_port
from tests.factories import ConsultationRequestFactory
from tests.notify_support import assert_no_phi, coordinator, surgeon
from tests.submission import PATIENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(settings):
    settings.PORTAL_CLINIC_NAME = "Harbour & Co Plastic Surgery"
    settings.PORTAL_CLINIC_NOTIFY_EMAIL = "inbox@clinic.example"
    coordinator("cora")
    return ConsultationRequestFactory(
        first_name=PATIENT["first_name"],
        last_name=PATIENT["last_name"],
        email=PATIENT["email"],
        phone=PATIENT["phone"],
        symptoms=PATIENT["symptoms"],
        goals=PATIENT["goals"],
    )


EVENTS = {
    "request_submitted": lambda c: notify_request_submitted(c),
    "more_info_requested": lambda c: notify_more_info_requested(c),
    "patient_replied": lambda c: notify_patient_replied(c),
    "case_routed": lambda c: notify_case_routed(c, surgeon("sam")),
    "review_recorded": lambda c: notify_review_recorded(c),
}


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_renders_reference_link_and_clinic_but_no_phi(
    consultation, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        rows = EVENTS[event](consultation)
    assert rows
    for row in rows:
        content = email_render(row)
        assert_no_phi(content.subject, content.text, content.html)
        assert consultation.reference in content.subject
        for body in (content.text, content.html):
            assert consultation.reference in body
            assert "http://portal.test/" in body
        assert "Harbour &amp; Co Plastic Surgery" in content.html
        assert "\n" not in content.subject
        # The private status token goes to the patient only.
        token_link = status_url(consultation)
        if row.recipient_kind == "patient":
            assert token_link in content.text and token_link in content.html
        else:
            assert token_link not in content.text + content.html
            assert staff_case_url(consultation.reference) in content.text


def test_the_events_reach_the_right_people(consultation, django_capture_on_commit_callbacks):
    sam = surgeon("sam")
    with django_capture_on_commit_callbacks(execute=False):
        recipients = {
            "more_info": notify_more_info_requested(consultation),
            "replied": notify_patient_replied(consultation),
            "routed": notify_case_routed(consultation, sam),
            "reviewed": notify_review_recorded(consultation),
        }
    labels = {name: sorted(r.recipient_label for r in rows) for name, rows in recipients.items()}
    cora = Notification.objects.filter(recipient_user__username="cora").first()
    staff = sorted([f"user #{cora.recipient_user_id}", "inbox@clinic.example"])
    assert labels == {
        "more_info": ["The patient"],
        "replied": staff,
        "routed": [f"user #{sam.pk}"],
        "reviewed": staff,
    }


def test_the_patient_confirmation_thanks_without_naming_them(
    consultation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(consultation)
    confirmation = next(m for m in mail.outbox if m.to == [PATIENT["email"]])
    assert confirmation.body.startswith("Thank you for your request.")
    assert consultation.reference in confirmation.subject
    assert status_url(consultation) in confirmation.body
    html, mimetype = confirmation.alternatives[0]
    assert mimetype == "text/html" and "Thank you for your request" in html
    for message in mail.outbox:
        assert_no_phi(message.subject, message.body, message.alternatives[0][0])
        assert message.from_email == "portal@clinic.example"


def test_the_staff_link_is_the_case_page(settings):
    assert staff_case_url("CR-7K4M-Q2XP") == "http://portal.test/staff/cases/CR-7K4M-Q2XP/"


# --- The staff chat webhook ---------------------------------------------------


class Hook:
    def __init__(self):
        self.bodies: list[dict] = []
        self.status = 200
        self.answer_after = 0.0


@pytest.fixture
def hook(settings):
    received = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.bodies.append(json.loads(self.rfile.read(length)))
            time.sleep(received.answer_after)
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PORTAL_STAFF_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hooks/abc"
    yield received
    server.shutdown()
    server.server_close()


def test_a_new_request_posts_reference_and_link_to_the_staff_chat(
    consultation, hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(consultation)

    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert (row.event, row.status) == (Event.REQUEST_SUBMITTED, NotificationStatus.SENT)
    assert hook.bodies == [
        {
            "event": "request_submitted",
            "reference": consultation.reference,
            "link": staff_case_url(consultation.reference),
            "text": f"New consultation request {consultation.reference}: "
            + staff_case_url(consultation.reference),
        }
    ]
    assert_no_phi(json.dumps(hook.bodies))


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (404, False)])
def test_webhook_errors_say_whether_retrying_helps(consultation, hook, status, retryable):
    hook.status = status
    row = Notification(
        consultation=consultation, event=Event.REQUEST_SUBMITTED, channel=Channel.WEBHOOK
    )
    with pytest.raises(TransportError) as raised:
        WebhookTransport().send(row, lambda: None)
    assert raised.value.retryable is retryable
    assert raised.value.message == f"webhook HTTP {status}"


def test_a_webhook_that_answers_after_the_timeout_is_maybe_sent_not_retried(
    consultation, hook, settings, django_capture_on_commit_callbacks
):
    # The chat got the post; its answer comes after our timeout.
    hook.answer_after = 2
    settings.PORTAL_STAFF_WEBHOOK_TIMEOUT = 1
    settings.PORTAL_NOTIFY_RETRY_BASE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(consultation)
    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert (row.status, row.attempts) == (NotificationStatus.UNCERTAIN, 1)
    assert row.last_error == "webhook TimeoutError after hand-over"
    assert len(hook.bodies) == 1


def test_an_unreachable_webhook_is_retried(
    consultation, settings, django_capture_on_commit_callbacks
):

    settings.PORTAL_STAFF_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/hook"
    with django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(consultation)
    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "webhook URLError"


def test_a_webhook_switched_off_after_recording_is_cancelled(
    consultation, hook, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notify_request_submitted(consultation)
    settings.PORTAL_STAFF_WEBHOOK_URL = ""
    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert notification_deliver(notification_id=row.pk).status == "cancelled"
    assert hook.bodies == []


def test_the_webhook_payload_has_no_phi(consultation, django_capture_on_commit_callbacks):
    row = Notification(
        consultation=consultation, event=Event.PATIENT_REPLIED, channel=Channel.WEBHOOK
    )
    payload = webhook_payload(row)
    assert set(payload) == {"event", "reference", "link", "text"}
    assert_no_phi(json.dumps(payload))


@pytest.mark.parametrize("event", EVENTS)
def test_every_email_shows_how_to_reach_the_clinic_in_the_sites_colours(
    consultation, event, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_CLINIC_PHONE = "+1 202 555 0142"
    settings.PORTAL_CLINIC_EMAIL = "help@harbour.example"
    with django_capture_on_commit_callbacks(execute=False):
        rows = EVENTS[event](consultation)
    for row in rows:
        content = email_render(row)
        assert 'href="tel:+12025550142"' in content.html
        assert 'href="mailto:help@harbour.example"' in content.html
        if row.recipient_kind == "patient":
            assert "+1 202 555 0142" in content.text
            assert "help@harbour.example" in content.text
        # The portal's green (static/css/portal.css --brand), not the old brown.
        assert "#2f6b5e" in content.html
        assert "#5b4636" not in content.html
