"""Transports: one small class per channel, each with ``send(notification)``.

A transport raises ``TransportError`` when a send failed, saying whether
trying again later can help (a server that is down) or not (an address the
server refuses), or that the outcome is unknown (``uncertain``: the message
was handed over and no answer came back, so it may have arrived), and
``RecipientGone`` when there is nobody to send to any more (a deactivated
user, a webhook switched off).

``send(notification, handing_over)`` calls ``handing_over()`` once everything
that cannot deliver anything is done (rendering, connecting, logging in) and
just before the message leaves: the caller records that moment durably, so a
worker lost after it is known to have maybe sent. It returns the provider's
id for the message when there is one (a Twilio sid), which the caller keeps.
A channel is one class here and one entry in ``CHANNELS``; callers do not change.
"""

import contextlib
import http.client
import json
import smtplib
import sys
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from consultations.models import Status

from . import twilio
from .content import email_render, sms_render, webhook_payload
from .links import sms_status_callback_url
from .models import Channel, Notification, RecipientKind


class TransportError(Exception):
    """A send failed. The message must carry no PHI: it is stored and logged."""

    def __init__(self, message: str, *, retryable: bool = True, uncertain: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable and not uncertain
        self.uncertain = uncertain


class RecipientGone(Exception):
    """Nobody to send to any more; the notification is cancelled, not failed."""


class Transport:
    def send(self, notification: Notification, handing_over: Callable[[], None]) -> str | None:
        raise NotImplementedError


def _patient_still_wanted(notification: Notification) -> None:
    # Checked when sending, so a confirmation still queued when staff mark
    # the request as spam is cancelled too.
    if notification.consultation.status == Status.SPAM:
        raise RecipientGone("request marked as spam: the patient is not contacted")


def email_address_for(notification: Notification) -> str:
    kind = notification.recipient_kind
    if kind == RecipientKind.PATIENT:
        _patient_still_wanted(notification)
        address = notification.consultation.email
    elif kind == RecipientKind.USER:
        user = notification.recipient_user
        if user is None or not user.is_active:
            raise RecipientGone("staff user deleted or deactivated")
        address = user.email
    elif kind == RecipientKind.ADDRESS:
        address = notification.recipient_address
    else:
        raise TransportError(f"email cannot go to {kind}", retryable=False)
    if not address:
        raise RecipientGone("recipient has no email address")
    return address


class EmailTransport(Transport):
    """Django's email backend: SMTP, or any provider chosen by settings."""

    def send(self, notification: Notification, handing_over: Callable[[], None]) -> None:
        address = email_address_for(notification)
        content = email_render(notification)
        message = EmailMultiAlternatives(
            subject=content.subject,
            body=content.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"X-Portal-Notification": str(notification.pk)},
        )
        message.attach_alternative(content.html, "text/html")
        connection = get_connection()
        try:
            # Connecting, TLS and login deliver nothing: any error here is
            # proof the message did not go, so it is retried.
            connection.open()
        except smtplib.SMTPResponseException as error:
            raise TransportError(f"SMTP {error.smtp_code} on connect") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransportError(type(error).__name__) from error
        try:
            handing_over()
            _send_handed_over(connection, message)
        finally:
            _close_quietly(connection)


def _send_handed_over(connection, message: EmailMultiAlternatives) -> None:
    try:
        connection.send_messages([message])
    except smtplib.SMTPResponseException as error:
        # A reply to MAIL, RCPT or DATA refused the message: nothing was
        # delivered. 4xx: try later; 5xx: refused for good.
        raise TransportError(
            f"SMTP {error.smtp_code}", retryable=not 500 <= error.smtp_code < 600
        ) from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        raise TransportError(
            f"SMTP recipient refused {codes}", retryable=all(c < 500 for c in codes)
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        # A timeout or a dropped connection once the conversation is under
        # way: the server may have taken the message before it went quiet
        # (a late "250" after DATA), so trying again could send it twice.
        reason = f"{type(error).__name__} after hand-over"
        raise TransportError(reason, uncertain=True) from error


def _close_quietly(connection) -> None:
    """QUIT may fail on a connection that already broke; the outcome is known by now."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()


class WebhookTransport(Transport):
    """POSTs ``{"event", "reference", "link", "text"}`` as JSON to the staff chat."""

    def send(self, notification: Notification, handing_over: Callable[[], None]) -> None:
        url = settings.PORTAL_STAFF_WEBHOOK_URL
        if not url:
            raise RecipientGone("PORTAL_STAFF_WEBHOOK_URL is not set")
        if not url.startswith(("https://", "http://")):
            raise TransportError("webhook URL must be http(s)", retryable=False)
        body = json.dumps(webhook_payload(notification)).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        handing_over()
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.PORTAL_STAFF_WEBHOOK_TIMEOUT
            ):
                # A 2xx status arrived: delivered, whatever the body says.
                pass
        except urllib.error.HTTPError as error:
            retryable = error.code >= 500 or error.code in (408, 429)
            raise TransportError(f"webhook HTTP {error.code}", retryable=retryable) from error
        except urllib.error.URLError as error:
            # urllib wraps errors while connecting or sending the request:
            # the request did not reach the server whole, so nothing happened.
            raise TransportError(f"webhook {type(error).__name__}") from error
        except OSError as error:
            # No answer after the whole request went (a timeout or a dropped
            # connection while waiting for the status): it may have been posted.
            raise TransportError(
                f"webhook {type(error).__name__} after hand-over", uncertain=True
            ) from error


def phone_number_for(notification: Notification) -> str:
    """The patient's number in E.164 (+447400123456), read when sending."""
    if notification.recipient_kind != RecipientKind.PATIENT:
        raise TransportError("text messages go to patients only", retryable=False)
    _patient_still_wanted(notification)
    phone = notification.consultation.phone
    if not phone:
        # Erased, or never given.
        raise RecipientGone("the patient has no phone number")
    return phone.as_e164


class SmsTransport(Transport):
    """Texts through Twilio's Messages API (notifications/twilio.py), or, in the
    demo, printed to the console without the number."""

    def send(self, notification: Notification, handing_over: Callable[[], None]) -> str | None:
        backend = settings.PORTAL_SMS_BACKEND
        if backend not in ("twilio", "console"):
            raise RecipientGone("text messages are not set up (PORTAL_SMS_BACKEND)")
        number = phone_number_for(notification)
        body = sms_render(notification)
        handing_over()
        if backend == "console":
            _console_print(notification, body)
            return None
        try:
            created = twilio.message_create(
                to=number, body=body, status_callback=_status_callback(notification)
            )
        except twilio.Refused as refused:
            raise TransportError(
                f"SMS HTTP {refused.status} Twilio error {refused.code}",
                retryable=_worth_retrying(refused.status),
            ) from None
        except urllib.error.URLError as error:
            # Raised while connecting or sending the request (DNS, refused
            # connection): Twilio never had the whole request, nothing was sent.
            reason = getattr(error, "reason", error)
            raise TransportError(f"SMS {type(reason).__name__}") from None
        except (OSError, http.client.HTTPException) as error:
            # The request went and no status came back: Twilio may have taken it.
            raise TransportError(
                f"SMS {type(error).__name__} after hand-over", uncertain=True
            ) from None
        return created.sid


def _status_callback(notification: Notification) -> str:
    if not settings.PORTAL_SMS_STATUS_CALLBACKS:
        return ""
    return sms_status_callback_url(notification.pk)


def _worth_retrying(status: int) -> bool:
    """5xx and 429 (rate limited): Twilio could not take it now, later may work.
    401: the account's credentials were refused, which nothing sent, and which
    the clinic can fix. Any other 4xx (21211 invalid number, 21610 the patient
    replied STOP, 21614 not a mobile, ...) will be refused again: failed."""
    return status >= 500 or status in (401, 408, 429)


def _console_print(notification: Notification, body: str) -> None:
    # Like Django's console email backend: the demo's stdout, DEBUG only
    # (settings refuse it otherwise). The number stays out of it.
    reference = notification.consultation.reference
    sys.stdout.write(f"Text message {notification.pk} about {reference} (number not shown):\n")
    sys.stdout.write(f"{body}\n{'-' * 79}\n")
    sys.stdout.flush()


CHANNELS: dict[str, type[Transport]] = {
    Channel.EMAIL: EmailTransport,
    Channel.WEBHOOK: WebhookTransport,
    Channel.SMS: SmsTransport,
}


def transport_for(channel: str) -> Transport:
    return CHANNELS[channel]()
