"""The page a person sees when their browser failed Django's CSRF check.

Nothing from the refused post is processed. A patient's form or reply is shown
again with what they typed (never their photos, which the browser must send
again), so a blocked cookie or an expired page costs them one more click, not
ten minutes of typing.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _

from .forms import ConsultationRequestForm, PatientReplyForm
from .middleware import is_staff_path
from .status_links import consultation_for_token
from .typed import typed_values
from .views import render_request_form, render_status_page

logger = logging.getLogger(__name__)

PHOTO_CSRF_FAILED = _(
    "Your browser did not pass this page's security check, usually because the page was "
    "open for a long time. Please reload the page, then choose this photo again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    view_name = match.view_name if match else ""
    # The reason names the check that failed, never what was posted.
    logger.warning("CSRF check failed view=%s reason=%s", view_name or "-", reason)

    if request.method == "POST" and view_name == "consultations:request_new":
        form = ConsultationRequestForm(initial=typed_values(ConsultationRequestForm, request))
        return render_request_form(request, form, status=403, csrf_failed=True)
    if request.method == "POST" and match and view_name == "consultations:status":
        consultation = consultation_for_token(match.kwargs["token"])
        if consultation is not None:
            return render_status_page(
                request,
                consultation,
                typed=typed_values(PatientReplyForm, request),
                status=403,
                csrf_failed=True,
            )
    if view_name.startswith("consultations:photo_"):
        return JsonResponse(
            {"error": PHOTO_CSRF_FAILED, "retry": False},
            status=403,
        )
    start_path = "/staff/" if is_staff_path(request) else "/"
    return render(request, "403_csrf.html", {"start_path": start_path}, status=403)
