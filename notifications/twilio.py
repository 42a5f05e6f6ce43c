"""Twilio's Messages API over urllib: one request, its answer read. No SDK needed.

``POST {PORTAL_SMS_API_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json``,
form-encoded ``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` and
optionally ``StatusCallback``, with HTTP basic auth ``AccountSid:AuthToken``.
Twilio answers 201 with JSON holding the message's ``sid``, or an error status
with JSON ``{"code": 21211, "message": ..., "status": 400}``.

What a failure means for retrying is decided by the SMS transport; this module
only says what happened. Twilio's error *message* is never kept: it can quote
the phone number ("The 'To' number +1... is not a valid phone number").
"""

import base64
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Created:
    sid: str  # empty if the 201's body could not be read


class Refused(Exception):
    """Twilio answered with an error status: nothing was created."""

    def __init__(self, status: int, code: int | None):
        super().__init__(f"HTTP {status} Twilio error {code}")
        self.status = status
        self.code = code


def messages_url() -> str:
    account = urllib.parse.quote(settings.PORTAL_SMS_ACCOUNT_SID, safe="")
    return f"{settings.PORTAL_SMS_API_URL}/2010-04-01/Accounts/{account}/Messages.json"


def message_fields(*, to: str, body: str, status_callback: str = "") -> dict[str, str]:
    fields = {"To": to, "Body": body}
    # A messaging service picks the sender itself (and handles opt-outs).
    if settings.PORTAL_SMS_MESSAGING_SERVICE_SID:
        fields["MessagingServiceSid"] = settings.PORTAL_SMS_MESSAGING_SERVICE_SID
    else:
        fields["From"] = settings.PORTAL_SMS_FROM
    if status_callback:
        fields["StatusCallback"] = status_callback
    return fields


def _authorization() -> str:
    pair = f"{settings.PORTAL_SMS_ACCOUNT_SID}:{settings.PORTAL_SMS_AUTH_TOKEN}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def message_create(*, to: str, body: str, status_callback: str = "") -> Created:
    """Ask Twilio to send one text.

    Raises ``Refused`` for an error status, ``urllib.error.URLError`` when the
    request did not reach Twilio whole (DNS, refused connection, a timeout
    while connecting or sending), and ``OSError`` or ``http.client.HTTPException``
    when it went and no status came back (a timeout waiting for the answer).
    """
    data = urllib.parse.urlencode(message_fields(to=to, body=body, status_callback=status_callback))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in settings
        messages_url(),
        data=data.encode(),
        method="POST",
        headers={
            # Sent with the first request: urllib would otherwise wait for a 401.
            "Authorization": _authorization(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.PORTAL_SMS_TIMEOUT
        ) as response:
            return Created(sid=_sid_of(response))
    except urllib.error.HTTPError as error:
        raise Refused(error.code, _error_code(error)) from None


def _sid_of(response) -> str:
    # The 2xx status already says the message was accepted; a body that cannot
    # be read does not change that, it only leaves the sid unknown.
    try:
        payload = json.loads(response.read())
    except (OSError, http.client.HTTPException, ValueError):
        return ""
    sid = payload.get("sid") if isinstance(payload, dict) else None
    return sid[:64] if isinstance(sid, str) else ""


def _error_code(error: urllib.error.HTTPError) -> int | None:
    try:
        payload = json.loads(error.read())
    except (OSError, http.client.HTTPException, ValueError):
        return None
    code = payload.get("code") if isinstance(payload, dict) else None
    return code if isinstance(code, int) else None


# --- Status callbacks: Twilio signs each request it makes to the portal ----------


def request_signature(url: str, params: list[tuple[str, str]], auth_token: str) -> str:
    """``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the auth token,
    over the full URL followed by each POST parameter's name and value, sorted
    by name (https://www.twilio.com/docs/usage/security#validating-requests)."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_valid(url: str, params: list[tuple[str, str]], signature: str) -> bool:
    token = settings.PORTAL_SMS_AUTH_TOKEN
    if not (token and signature):
        return False
    return hmac.compare_digest(request_signature(url, params, token), signature)
