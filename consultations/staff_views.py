"""Staff pages: the coordinators' queue, the surgeons' cases, the case page and its actions."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from common.authenticated import is_signed_in
from notifications.selectors import notifications_failed_count, patient_messages

from . import case_changes
from .access import (
    StaffRequest,
    case_for,
    case_role,
    cases_listed,
    consultations_visible_to,
    is_administrator,
    phi_view,
    record_denial,
    viewers_of,
)
from .actions import STAFF_ACTIONS, staff_actions_for
from .models import ConsultationRequest, Status
from .patient_status import patient_status
from .queue_rows import queue_rows
from .selectors import (
    STATUS_TABS,
    QueueFilters,
    case_detail_related,
    case_photos,
    queue_page,
    tab_counts,
)
from .staff_forms import NoteForm, QueueFilterForm
from .workflow import Action, Role, TransitionRefused


@never_cache
def staff_home(request: HttpRequest) -> HttpResponse:
    """Where signing in lands: each role's own start page."""
    if not is_signed_in(request):
        return redirect_to_login(request.get_full_path())
    role = case_role(request.user)
    if role is not None:
        return redirect("staff:queue" if role == Role.COORDINATOR else "staff:my_cases")
    if is_administrator(request.user):
        return redirect("admin:index")
    record_denial(request, status_code=403)
    raise PermissionDenied


SEARCH_SESSION_KEY = "queue_search"


@require_http_methods(["GET", "POST"])
@phi_view(Role.COORDINATOR)
def case_queue(request: StaffRequest) -> HttpResponse:
    """The queue. Filters live in the URL; a search term, which may be a patient's
    name, email or phone, is POSTed and kept in the session so it never appears
    in a URL (and so in no access log or browser history)."""
    if request.method == "POST":
        query = request.POST.copy()
        search = query.pop("q", [""])[-1].strip()
        query.pop("csrfmiddlewaretoken", None)
        if search:
            request.session[SEARCH_SESSION_KEY] = search
            query["search"] = "1"
        return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)

    params = request.GET.copy()
    params.pop("q", None)
    if params.get("search") == "1":
        params["q"] = request.session.get(SEARCH_SESSION_KEY, "")
    surgeons = list(case_changes.active_surgeons())
    form = QueueFilterForm(params or None, surgeons=surgeons)
    visible = consultations_visible_to(request.user)
    filters = form.filters(viewer=request.user) if params else QueueFilters()
    page = queue_page(
        queryset=visible, filters=filters, page_number=request.GET.get("page"), viewer=request.user
    )
    cases_listed(request, page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/queue.html",
        {
            "form": form,
            "page": page,
            "rows": queue_rows(page.object_list),
            "tabs": _tabs(query, current=filters.status, counts=tab_counts(visible)),
            "query": query.urlencode(),
            "overdue_after": settings.PORTAL_QUEUE_OVERDUE_WORKING_DAYS,
            "failed_notifications": notifications_failed_count(),
        },
    )


def _tabs(query: QueryDict, *, current: str, counts: dict[str, int]) -> list[dict]:
    """Each tab keeps the other filters; its count is of every case in it."""
    tabs = []
    for key, label in [("", gettext("All")), *[(k, tab[0]) for k, tab in STATUS_TABS.items()]]:
        params = query.copy()
        params["status"] = key
        tabs.append(
            {
                "label": label,
                "count": counts.get(key, sum(counts.values())),
                "url": f"?{params.urlencode()}",
                "current": key == current,
            }
        )
    return tabs


@require_POST
@phi_view(Role.COORDINATOR)
def case_take(request: StaffRequest, reference: str) -> HttpResponse:
    consultation = case_for(request, reference)
    try:
        case_changes.consultation_take(consultation=consultation, by=request.user)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, gettext("%(reference)s is yours.") % {"reference": consultation.reference}
        )
    back = request.POST.get("next", "")
    # Only back to a page of this site (the queue with its filters).
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("staff:case_detail", reference=reference)


@phi_view(Role.SURGEON)
def my_cases(request: StaffRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    filters = QueueFilters(status="" if show_all else Status.ROUTED, oldest_first=True)
    page = queue_page(
        queryset=consultations_visible_to(request.user),
        filters=filters,
        page_number=request.GET.get("page"),
        viewer=request.user,
    )
    cases_listed(request, page)
    return render(request, "staff/my_cases.html", {"page": page, "show_all": show_all})


def _render_case(
    request: StaffRequest,
    consultation: ConsultationRequest,
    *,
    bound: tuple[Action, forms.Form] | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page, whatever the status; ``phi_view`` records it (the case came from case_for)."""
    action_forms = [
        (
            entry,
            bound[1]
            if bound and bound[0] == entry.action
            else entry.bind(version=consultation.version),
        )
        for entry in staff_actions_for(status=consultation.status, role=request.role)
    ]
    has_next_step = bool(action_forms) and action_forms[0][0].is_next_step(consultation.status)
    return render(
        request,
        "staff/case_detail.html",
        {
            "case": consultation,
            "patient_status": patient_status(consultation),
            "next_step": action_forms[0] if has_next_step else None,
            "other_actions": action_forms[1:] if has_next_step else action_forms,
            "note_form": note_form or NoteForm(),
            "viewers": viewers_of(consultation),
            "patient_messages": patient_messages(consultation),
            **case_detail_related(consultation),
        },
        status=status,
    )


@phi_view(Role.COORDINATOR, Role.SURGEON)
def case_detail(request: StaffRequest, reference: str) -> HttpResponse:
    consultation = case_for(request, reference)
    return _render_case(request, consultation)


@require_POST
@phi_view(Role.COORDINATOR, Role.SURGEON)
def case_action(request: StaffRequest, reference: str, action: str) -> HttpResponse:
    consultation = case_for(request, reference)
    try:
        action = Action(action)
    except ValueError:
        messages.error(request, gettext("That action does not exist."))
        return redirect("staff:case_detail", reference=reference)
    if action not in STAFF_ACTIONS:
        raise PermissionDenied
    entry = STAFF_ACTIONS[action]
    form = entry.bind(request.POST, version=consultation.version)
    if not form.is_valid():
        return _render_case(request, consultation, bound=(action, form), status=400)
    try:
        done = entry.perform(consultation=consultation, by=request.user, data=form.cleaned_data)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
        consultation.refresh_from_db()
        # Keep what they typed, but against the version they now see.
        data = request.POST.copy()
        data["version"] = str(consultation.version)
        form = entry.bind(data, version=consultation.version)
        return _render_case(request, consultation, bound=(action, form), status=409)
    messages.success(request, done)
    if request.role == Role.SURGEON and action == Action.RECORD_REVIEW:
        return redirect("staff:my_cases")
    return redirect("staff:case_detail", reference=reference)


@require_POST
@phi_view(Role.COORDINATOR, Role.SURGEON)
def case_note(request: StaffRequest, reference: str) -> HttpResponse:
    consultation = case_for(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, consultation, note_form=form, status=400)
    try:
        case_changes.consultation_add_note(
            consultation=consultation, by=request.user, body=form.cleaned_data["body"]
        )
    except TransitionRefused as refused:
        messages.error(request, str(refused))
        return redirect("staff:case_detail", reference=reference)
    messages.success(request, gettext("Note added."))
    return redirect("staff:case_detail", reference=reference)


@phi_view(Role.COORDINATOR, Role.SURGEON)
def case_compare(request: StaffRequest, reference: str) -> HttpResponse:
    consultation = case_for(request, reference)
    chosen = set(request.GET.getlist("photo"))
    photos = [
        p for p in case_photos(consultation=consultation) if not chosen or str(p.pk) in chosen
    ]
    return render(request, "staff/compare.html", {"case": consultation, "photos": photos})
