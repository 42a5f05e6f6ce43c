from django.conf import settings
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import translation


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than any valid submission before reading it.

    Django limits form fields but not files; without this a huge upload would
    be spooled to disk in full before the form could say it is too large.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.PORTAL_MAX_REQUEST_BYTES:
            response = TemplateResponse(
                request,
                "413.html",
                {"max_photo_bytes": settings.PORTAL_MAX_PHOTO_BYTES},
                status=413,
            )
            if "gunicorn.socket" in request.META:
                # Gunicorn would otherwise read the unread body to reach the
                # next request on this connection. PEP 3333 forbids hop-by-hop
                # headers and runserver (wsgiref) refuses them with a 500; it
                # discards the unread body itself.
                response["Connection"] = "close"
            return response.render()
        return self.get_response(request)


# Staff work in English: their pages, the admin and the staff sign-in are not
# translated for the browser's language (Django's admin and allauth have
# Spanish of their own, which would otherwise mix with the portal's English).
STAFF_PATH_PREFIXES = ("/staff/", "/admin/")


def is_staff_path(request: HttpRequest) -> bool:
    """A staff page or the admin (the staff's sign-in included)."""
    return request.path_info.startswith(STAFF_PATH_PREFIXES)


class StaffInEnglishMiddleware:
    """English on staff pages and the admin, whatever the browser prefers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_staff_path(request):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            # base.html shows no language switch (the staff 404 page too).
            request.staff_page = True
        return self.get_response(request)
