"""Twilio's delivery reports for texts (its ``StatusCallback``).

Public (Twilio calls it), so it trusts nothing unsigned: the
``X-Twilio-Signature`` must match the auth token over the URL the portal gave
Twilio (built from PORTAL_SITE_URL, as the transport built it, so a proxy in
front changes nothing) and the posted fields. It answers with no body, and
neither keeps nor logs the posted fields: they hold the patient's number.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .delivery_reports import delivery_report_record
from .twilio import signature_valid


@csrf_exempt  # signed by Twilio instead; no cookie, no session
@require_POST
def sms_status(request: HttpRequest, notification_id: int) -> HttpResponse:
    url = settings.PORTAL_SITE_URL + request.get_full_path()
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    if not signature_valid(url, params, request.headers.get("X-Twilio-Signature", "")):
        return HttpResponse(status=403)
    known = delivery_report_record(
        notification_id=notification_id,
        message_sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
    )
    # A report on a text that is not this row's (or no text) is a 404, which
    # shows in Twilio's debugger; Twilio does not retry status callbacks.
    return HttpResponse(status=204 if known else 404)
