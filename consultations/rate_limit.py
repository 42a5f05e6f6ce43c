"""A burst of requests from one address is slowed, and loses nothing typed.

Each address (common.network.client_address) may post the request form
PORTAL_REQUEST_RATE_LIMIT times (django-ratelimit's "count/period", e.g.
"10/h") in the shared cache. Beyond that the post is not processed: the form
comes back with a 429, what was typed (never the photos) and when to try again.
"""

from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from common.network import client_address

from .forms import ConsultationRequestForm
from .typed import typed_values


def _address(group: str, request: HttpRequest) -> str:
    return client_address(request) or "unknown"


def limit_posts_per_address(view):
    @wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        usage = get_usage(
            request,
            group="consultations.request_new",
            key=_address,
            rate=settings.PORTAL_REQUEST_RATE_LIMIT,
            method="POST",
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return view(request, *args, **kwargs)
        return too_many_requests(request, retry_after=max(usage["time_left"], 1))

    return limited


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    from .views import render_request_form  # views imports this module

    form = ConsultationRequestForm(initial=typed_values(ConsultationRequestForm, request))
    response = render_request_form(
        request, form, status=429, rate_limited=True, retry_minutes=-(-retry_after // 60)
    )
    response["Retry-After"] = str(retry_after)
    return response
