"""Twilio's delivery reports (status callbacks): signed with the auth token,
kept on the text's row, shown to staff; anything unsigned is refused."""

import logging

import pytest
from django.urls import reverse

from notifications.models import NotificationStatus
from notifications.services import notification_deliver
from notifications.twilio import request_signature
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, SENDER
from tests.staff import signed_in
from tests.test_sms_transport import enqueue_text

pytestmark = pytest.mark.django_db


def test_the_signature_is_twilios_documented_example():
    # https://www.twilio.com/docs/usage/security#validating-requests
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert request_signature(url, list(params.items()), "12345") == "GvWf1cFY/Q7PnoempGyD5oXAezc="


@pytest.fixture
def sent_text(fake_twilio):
    """A text the fake Twilio took, with the callback URL the portal gave it."""
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    (request,) = fake_twilio.received
    (callback,) = request.fields["StatusCallback"]
    return row, callback


def report(client, callback: str, status: str, *, sid: str, token: str = AUTH_TOKEN, **extra):
    """POST what Twilio posts, signed as Twilio signs it (unless told otherwise)."""
    fields = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": SENDER,
        "To": "+447400123456",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    signature = request_signature(callback, list(fields.items()), token)
    path = callback.removeprefix("http://portal.test")
    return client.post(path, fields, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_signed_delivered_report_is_kept_and_shown_to_staff(
    client, sent_text, coordinator_user, caplog
):
    caplog.set_level(logging.DEBUG)
    row, callback = sent_text
    response = report(client, callback, "delivered", sid=row.provider_message_id)

    assert response.status_code == 204 and response.content == b""
    row.refresh_from_db()
    assert (row.status, row.provider_status) == (NotificationStatus.SENT, "delivered")
    assert row.provider_status_at is not None
    assert "+447400123456" not in caplog.text and "7400" not in caplog.text

    signed_in(client, coordinator_user)
    page = client.get(reverse("staff:case_detail", args=[row.consultation.reference]))
    assert 'Text message</span> <span class="badge badge--message-delivered">Delivered' in (
        page.content.decode()
    )


def test_undelivered_shows_as_not_delivered(client, sent_text, coordinator_user):
    row, callback = sent_text
    report(client, callback, "undelivered", sid=row.provider_message_id, ErrorCode="30005")
    signed_in(client, coordinator_user)
    page = client.get(reverse("staff:case_detail", args=[row.consultation.reference]))
    assert 'badge--message-failed">Not delivered' in page.content.decode()


def test_an_earlier_stage_arriving_late_does_not_undo_delivered(client, sent_text):
    row, callback = sent_text
    report(client, callback, "delivered", sid=row.provider_message_id)
    assert report(client, callback, "sent", sid=row.provider_message_id).status_code == 204
    row.refresh_from_db()
    assert row.provider_status == "delivered"


@pytest.mark.parametrize(
    "forge",
    [
        {"token": "not-the-auth-token"},
        {"HTTP_X_TWILIO_SIGNATURE": ""},
        {"tampered": True},
    ],
    ids=["wrong token", "no signature", "fields changed after signing"],
)
def test_an_unsigned_or_forged_report_is_refused_and_changes_nothing(client, sent_text, forge):
    row, callback = sent_text
    sid = row.provider_message_id
    if "token" in forge:
        response = report(client, callback, "failed", sid=sid, token=forge["token"])
    else:
        fields = {"MessageSid": sid, "MessageStatus": "delivered"}
        signature = request_signature(callback, list(fields.items()), AUTH_TOKEN)
        if "tampered" in forge:
            fields["MessageStatus"] = "failed"
        else:
            signature = ""
        path = callback.removeprefix("http://portal.test")
        response = client.post(path, fields, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.provider_status == ""


def test_a_report_signed_for_another_text_is_refused(client, fake_twilio):
    first, second = enqueue_text(), enqueue_text()
    for row in (first, second):
        notification_deliver(notification_id=row.pk)
    callbacks = [r.fields["StatusCallback"][0] for r in fake_twilio.received]
    fields = {"MessageSid": "SMx", "MessageStatus": "delivered"}
    # Signed for the first text's URL, posted to the second's.
    signature = request_signature(callbacks[0], list(fields.items()), AUTH_TOKEN)
    path = callbacks[1].removeprefix("http://portal.test")
    assert client.post(path, fields, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403


def test_a_report_about_another_message_sid_is_not_kept(client, sent_text):
    row, callback = sent_text
    assert report(client, callback, "delivered", sid="SM" + "0" * 32).status_code == 404
    row.refresh_from_db()
    assert row.provider_status == ""


def test_a_report_settles_a_maybe_sent_text(client, fake_twilio):
    fake_twilio.hang_for = 2  # the transport gives up after 1 s: maybe sent
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.UNCERTAIN and row.provider_message_id == ""

    callback = fake_twilio.received[0].fields["StatusCallback"][0]
    assert report(client, callback, "delivered", sid=fake_twilio.created[0]).status_code == 204
    row.refresh_from_db()
    assert (row.status, row.provider_status) == (NotificationStatus.SENT, "delivered")
    assert row.provider_message_id == fake_twilio.created[0] and row.sent_at is not None


def test_a_failed_report_on_a_maybe_sent_text_makes_it_failed(client, fake_twilio):
    fake_twilio.hang_for = 2
    row = enqueue_text()
    notification_deliver(notification_id=row.pk)
    callback = fake_twilio.received[0].fields["StatusCallback"][0]
    report(client, callback, "failed", sid=fake_twilio.created[0], ErrorCode="30001")
    row.refresh_from_db()
    assert (row.status, row.provider_status) == (NotificationStatus.FAILED, "failed")


def test_a_get_is_not_allowed(client, sent_text):
    _, callback = sent_text
    assert client.get(callback.removeprefix("http://portal.test")).status_code == 405
