import logging
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .case_services import consultation_patient_reply, open_information_request
from .forms import ConsultationRequestForm, PatientReplyForm
from .patient_status import patient_status, photo_counts
from .services import SubmissionFailed, consultation_submit
from .status_links import consultation_for_token, status_path
from .workflow import TransitionRefused

logger = logging.getLogger(__name__)


@never_cache
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    submission_failed = False
    if request.method == "POST":
        form = ConsultationRequestForm(request.POST, request.FILES)
        if form.is_bot:
            logger.info("honeypot field filled; submission dropped")
            return redirect("consultations:received")
        if form.is_valid():
            try:
                consultation = consultation_submit(
                    submission_key=form.cleaned_data["submission_key"],
                    details=form.details(),
                    concerns=form.cleaned_data["concerns"],
                    treatments=form.treatments(),
                    photos=form.cleaned_data["photos"],
                )
            except SubmissionFailed:
                submission_failed = True
            else:
                return redirect(status_path(consultation))
    else:
        form = ConsultationRequestForm(initial={"submission_key": uuid.uuid4()})
    return render(
        request,
        "consultations/request_form.html",
        {"form": form, "submission_failed": submission_failed},
        status=503 if submission_failed else 200,
    )


@never_cache
def request_received(request: HttpRequest) -> HttpResponse:
    return render(request, "consultations/received.html")


@never_cache
@require_http_methods(["GET", "POST"])
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's private page; while the clinic awaits an answer, it takes the reply."""
    consultation = consultation_for_token(token)
    if consultation is None:
        raise Http404("No request matches this link.")
    question = open_information_request(consultation)
    reply_form = None
    reply_failed = False
    if question is not None:
        reply_form = PatientReplyForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and reply_form.is_valid():
            try:
                consultation_patient_reply(
                    consultation=consultation,
                    answer=reply_form.cleaned_data["answer"],
                    photos=reply_form.cleaned_data["photos"],
                )
            except TransitionRefused:
                # Answered already (a double submit): the page shows the new status.
                return redirect(request.path)
            except SubmissionFailed:
                reply_failed = True
            else:
                return redirect(request.path + "?replied=1")
    elif request.method == "POST":
        return redirect(request.path)
    response = render(
        request,
        "consultations/status.html",
        {
            "consultation": consultation,
            "status": patient_status(consultation),
            "status_url": request.build_absolute_uri(request.path),
            "photos": photo_counts(consultation),
            "question": question,
            "reply_form": reply_form,
            "reply_failed": reply_failed,
            "replied": request.GET.get("replied") == "1",
        },
        status=503 if reply_failed else 200,
    )
    # The token is the key to this page. The site-wide Referrer-Policy
    # (same-origin) keeps it out of Referer headers sent to other hosts;
    # "no-referrer" would also make Chromium send "Origin: null" with this
    # page's own reply form, which CSRF protection must then refuse.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
