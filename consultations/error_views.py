"""The portal's own 400 and 500 pages.

Django hands handler400 the exception that made the request unreadable; the
page says what actually happened, so the patient knows what to change.
"""

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template import loader

from .context_processors import clinic_details


def _part_headers_too_long(exception: Exception | None) -> bool:
    # Django refuses a multipart part whose headers exceed 1,024 bytes
    # (multipartparser.MAX_TOTAL_HEADER_SIZE) with this message; from a
    # browser only a very long file name makes the headers that long.
    return isinstance(exception, MultiPartParserError) and "header size" in str(exception)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, TooManyFilesSent):
        reason = "too_many_files"
    elif _part_headers_too_long(exception):
        reason = "file_name_too_long"
    else:
        reason = "unreadable"
    return render(
        request,
        "400.html",
        {"reason": reason, "max_photos": settings.PORTAL_MAX_PHOTOS},
        status=HttpResponseBadRequest.status_code,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Without the request's context processors and middleware state: whatever
    # failed may fail again while rendering. The clinic's settings are safe.
    html = loader.get_template("500.html").render(clinic_details())
    return HttpResponseServerError(html)
