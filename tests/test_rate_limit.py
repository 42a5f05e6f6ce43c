"""A burst from one address is slowed without losing anything typed, and no
inbox is flooded: confirmations per address per day are capped, spam is never mailed."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from consultations.models import ConsultationRequest, Status
from notifications.events import HELD_BACK, notify_request_submitted
from notifications.models import Event, Notification, NotificationStatus
from notifications.services import notification_deliver
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload
from tests.submission import PATIENT, form_data

pytestmark = pytest.mark.django_db


def post_from(client, address: str, **overrides):
    data = {**form_data(**overrides), "photos": [jpeg_upload()]}
    return client.post(reverse("consultations:request_new"), data, REMOTE_ADDR=address)


def test_the_production_limit_lets_a_patient_correct_mistakes():
    count, period = settings.PORTAL_REQUEST_RATE_LIMIT.split("/")
    assert int(count) >= 5 and period in ("h", "1h")


def test_a_burst_from_one_address_gets_the_wait_page_with_its_answers(client, settings):
    settings.PORTAL_REQUEST_RATE_LIMIT = "3/h"
    for _ in range(3):
        assert post_from(client, "203.0.113.7").status_code == 302
    assert ConsultationRequest.objects.count() == 3

    refused = post_from(client, "203.0.113.7")

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert "Nothing was sent yet: please wait" in html
    assert settings.PORTAL_CLINIC_NAME in html  # the portal's own page
    # What the patient typed is all there; only the photos need choosing again.
    assert PATIENT["first_name"] in html and PATIENT["email"] in html
    assert "Hollowing under both eyes" in html
    assert "Please choose your photos again" in html
    assert ConsultationRequest.objects.count() == 3


def test_another_address_still_gets_through(client, settings):
    settings.PORTAL_REQUEST_RATE_LIMIT = "2/h"
    for _ in range(3):
        post_from(client, "203.0.113.7")
    assert post_from(client, "198.51.100.20").status_code == 302
    assert ConsultationRequest.objects.count() == 3


def test_the_form_itself_is_never_limited(client, settings):
    settings.PORTAL_REQUEST_RATE_LIMIT = "1/h"
    for _ in range(3):
        post_from(client, "203.0.113.7")
    assert (
        client.get(reverse("consultations:request_new"), REMOTE_ADDR="203.0.113.7").status_code
        == 200
    )


def test_confirmations_to_one_address_are_capped_and_the_rest_held_back(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3
    for n in range(5):
        # Different addresses, and the address spelled in different case.
        email = PATIENT["email"].upper() if n % 2 else PATIENT["email"]
        with django_capture_on_commit_callbacks(execute=True):
            assert post_from(client, f"203.0.113.{n + 1}", email=email).status_code == 302

    to_patient = [m for m in mail.outbox if PATIENT["email"] in [a.lower() for a in m.to]]
    assert len(to_patient) == 3
    confirmations = Notification.objects.filter(event=Event.REQUEST_CONFIRMATION)
    assert confirmations.count() == 5  # every request keeps its record
    held = confirmations.filter(status=NotificationStatus.CANCELLED, last_error=HELD_BACK)
    assert held.count() == 2
    assert ConsultationRequest.objects.count() == 5  # the requests themselves all reach staff


def test_a_request_marked_spam_never_mails_the_patient():
    case = ConsultationRequestFactory()
    rows = notify_request_submitted(case)  # recorded; not yet sent
    confirmation = next(r for r in rows if r.event == Event.REQUEST_CONFIRMATION)
    case.status = Status.SPAM
    case.save(update_fields=["status"])

    result = notification_deliver(notification_id=confirmation.pk)

    assert result.status == NotificationStatus.CANCELLED
    confirmation.refresh_from_db()
    assert "spam" in confirmation.last_error
    assert mail.outbox == []
