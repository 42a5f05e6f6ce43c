import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from common.database import CONNECTION_ERRORS, reconnect
from uploads.held import held_uploads_release

from .case_changes import consultation_patient_reply, open_information_request
from .form_page import request_form_fields
from .forms import ConsultationRequestForm, PatientReplyForm
from .kept_photos import keep_photos, kept_for
from .languages import activate_for, patient_language, remember_choice
from .models import ConsultationRequest
from .patient_status import patient_status, photo_counts
from .photo_uploads import photo_limits
from .rate_limit import limit_posts_per_address
from .status_links import (
    consultation_for_token,
    status_language_path,
    status_link_ended,
    status_path,
)
from .submission import SubmissionFailed, consultation_submit
from .workflow import TransitionRefused

logger = logging.getLogger(__name__)

# The request this browser sent last: its submission key and id. Back after
# sending restores the whole form (values, files, even a new key rendered by
# a fresh GET); the form then carries the used key again, so Send lands on the
# request already made instead of creating a second one.
LAST_SUBMISSION = "consultations.last_submission"

ALREADY_ANSWERED = _("We already have your answer; nothing was sent twice.")


def _last_submission(request: HttpRequest) -> ConsultationRequest | None:
    try:
        remembered = request.session.get(LAST_SUBMISSION)
        if not remembered:
            return None
        return ConsultationRequest.objects.filter(
            pk=remembered["id"], submission_key=remembered["key"]
        ).first()
    except CONNECTION_ERRORS:
        # Only a reminder on the form page: the form matters more.
        reconnect()
        return None


def _remember_submission(request: HttpRequest, consultation: ConsultationRequest) -> None:
    """Remember the request in the session, saved here rather than by the middleware.

    The request is committed by now: if the session cannot be saved (the
    connection was lost since), the patient must still be sent on to their
    status page, so the memory is given up instead of answering with a 500.
    """
    request.session[LAST_SUBMISSION] = {
        "id": consultation.pk,
        "key": str(consultation.submission_key),
    }
    for _attempt in range(2):
        try:
            request.session.save()
            return
        except CONNECTION_ERRORS:
            reconnect()
    logger.warning("session not saved after a submission ref=%s", consultation.reference)
    request.session.modified = False


def render_request_form(
    request: HttpRequest,
    form: ConsultationRequestForm,
    *,
    previous: ConsultationRequest | None = None,
    status: int = 200,
    **flags,
) -> HttpResponse:
    """The form page; ``flags`` name what went wrong (submission_failed, csrf_failed).

    ``previous`` is this browser's last request when the caller has looked it
    up already; otherwise it is looked up here.
    """
    previous = previous or _last_submission(request)
    already_sent = (
        {"reference": previous.reference, "status_path": status_path(previous)}
        if previous
        else None
    )
    context = {"form": form, "already_sent": already_sent, "photo_limits": photo_limits(), **flags}
    context["form_fields"] = request_form_fields(request, form, context)
    return render(request, "consultations/request_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limit_posts_per_address
def request_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _request_submit(request)
    previous = _last_submission(request)
    key = previous.submission_key if previous else uuid.uuid4()
    form = ConsultationRequestForm(initial={"submission_key": key})
    return render_request_form(request, form, previous=previous)


def _request_submit(request: HttpRequest) -> HttpResponse:
    key = _uuid_or_none(request.POST.get("submission_key"))
    try:
        kept = kept_for(request, key)
    except CONNECTION_ERRORS:
        reconnect()
        kept = []
    form = ConsultationRequestForm(request.POST, request.FILES, kept=kept)
    if form.is_bot:
        logger.info("honeypot field filled; submission dropped")
        return redirect("consultations:received")
    # A key that was used already (double click, reload, Back then Send) needs
    # no photo decoding: the request it made is the answer.
    try:
        sent = ConsultationRequest.objects.filter(submission_key=key).first() if key else None
    except CONNECTION_ERRORS:
        logger.error("database unavailable at the submission-key lookup, nothing stored")
        reconnect()
        return render_request_form(request, form, status=503, submission_failed=True)
    if sent is not None:
        _remember_submission(request, sent)
        messages.info(
            request, gettext("You had already sent this request; nothing was sent twice.")
        )
        return redirect(status_path(sent))
    if not form.is_valid():
        if key is not None:
            keep_photos(request, form, key)
        return render_request_form(request, form)
    try:
        data = form.cleaned_data
        consultation = consultation_submit(
            submission_key=data["submission_key"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            preferred_contact=data["preferred_contact"],
            date_of_birth=data["date_of_birth"],
            country=data["country"],
            region=data["region"],
            symptoms=data["symptoms"],
            goals=data["goals"],
            concerns=data["concerns"],
            treatments=form.treatments(),
            photos=form.new_photos(),
            held=form.kept_staying(),
            language=patient_language(),
        )
    except SubmissionFailed:
        reconnect()
        return render_request_form(request, form, status=503, submission_failed=True)
    held_uploads_release(form.kept_leaving())
    _remember_submission(request, consultation)
    return redirect(status_path(consultation))


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@require_POST
def request_another(request: HttpRequest) -> HttpResponse:
    """The patient chose to start a second request: forget the one just sent."""
    request.session.pop(LAST_SUBMISSION, None)
    return redirect("consultations:request_new")


@never_cache
def request_received(request: HttpRequest) -> HttpResponse:
    return render(request, "consultations/received.html")


def render_status_page(
    request: HttpRequest,
    consultation: ConsultationRequest,
    *,
    reply_form: PatientReplyForm | None = None,
    typed: dict | None = None,
    status: int = 200,
    **flags,
) -> HttpResponse:
    """The patient's status page; ``flags`` name what went wrong (reply_failed, csrf_failed).

    ``reply_form`` is a bound form with errors; ``typed`` the values of a
    refused post to show again in a fresh one.
    """
    activate_for(request, consultation)
    question = open_information_request(consultation)
    if question is not None and reply_form is None:
        reply_form = PatientReplyForm(
            initial={**(typed or {}), "question": question.pk, "submission_key": uuid.uuid4()}
        )
    response = render(
        request,
        "consultations/status.html",
        {
            "consultation": consultation,
            "status": patient_status(consultation),
            "status_url": request.build_absolute_uri(status_path(consultation)),
            "photos": photo_counts(consultation),
            "question": question,
            "reply_form": reply_form if question is not None else None,
            "photo_limits": photo_limits() if question is not None else None,
            "replied": request.GET.get("replied") == "1",
            "language_action": status_language_path(consultation),
            **flags,
        },
        status=status,
    )
    # The token is the key to this page. The site-wide Referrer-Policy
    # (same-origin) keeps it out of Referer headers sent to other hosts;
    # "no-referrer" would also make Chromium send "Origin: null" with this
    # page's own reply form, which CSRF protection must then refuse.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's private page; while the clinic awaits an answer, it takes the reply.

    A connection lost since the last query (a failover, a terminated backend;
    e.g. just after the submission that redirected here) gets one fresh
    connection. A second try is safe: the page only reads, and a reply is
    stored all or nothing and taken once per question.
    """
    for _attempt in range(2):
        try:
            return _status_page(request, token)
        except CONNECTION_ERRORS:
            logger.warning("database unavailable on the status page, reconnecting")
            reconnect()
    return render(
        request,
        "consultations/status_unavailable.html",
        {"reply_not_sent": request.method == "POST"},
        status=503,
    )


def _status_page(request: HttpRequest, token: str) -> HttpResponse:
    consultation = consultation_for_token(token)
    if consultation is None:
        raise Http404("No request matches this link.")
    activate_for(request, consultation)
    if status_link_ended(consultation):
        return render(
            request,
            "consultations/status_closed.html",
            {"language_action": status_language_path(consultation)},
        )
    if request.method == "POST":
        return _reply_submit(request, consultation)
    return render_status_page(request, consultation)


def _reply_submit(request: HttpRequest, consultation: ConsultationRequest) -> HttpResponse:
    key = _uuid_or_none(request.POST.get("submission_key"))
    form = PatientReplyForm(request.POST, request.FILES, kept=kept_for(request, key))
    question = open_information_request(consultation)
    if question is None or form.data.get("question") != str(question.pk):
        # The question this form answered was answered already (double click,
        # Back then Send) or withdrawn: store nothing and show the current page.
        messages.info(request, ALREADY_ANSWERED)
        return redirect(request.path)
    if not form.is_valid():
        if key is None:
            # A page drawn before replies had keys: give the form one now.
            key = uuid.uuid4()
            data = request.POST.copy()
            data["submission_key"] = str(key)
            form.data = data
        keep_photos(request, form, key)
        return render_status_page(request, consultation, reply_form=form)
    try:
        consultation_patient_reply(
            consultation=consultation,
            question_id=question.pk,
            answer=form.cleaned_data["answer"],
            photos=form.new_photos(),
            held=form.kept_staying(),
        )
    except TransitionRefused:
        # A twin of this post won the race: it is the answer the clinic has.
        messages.info(request, ALREADY_ANSWERED)
        return redirect(request.path)
    except SubmissionFailed:
        reconnect()
        return render_status_page(
            request, consultation, reply_form=form, status=503, reply_failed=True
        )
    held_uploads_release(form.kept_leaving())
    return redirect(request.path + "?replied=1")


@never_cache
@require_POST
def status_language(request: HttpRequest, token: str) -> HttpResponse:
    """The language switch on the status page: the patient's new choice is kept
    with the request, so later messages use it too, and in this browser's cookie."""
    consultation = consultation_for_token(token)
    if consultation is None:
        raise Http404("No request matches this link.")
    chosen = request.POST.get("language", "")
    if chosen in dict(settings.LANGUAGES) and chosen != consultation.language:
        # Only this column: the case's version and timeline are the clinic's.
        ConsultationRequest.objects.filter(pk=consultation.pk).update(language=chosen)
        logger.info("patient language changed ref=%s language=%s", consultation.reference, chosen)
    return remember_choice(redirect(status_path(consultation)), chosen)
