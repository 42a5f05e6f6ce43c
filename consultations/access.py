"""Who sees what: the staff roles, the rule for cases and photos, and the record of every look.

The one module for access. Roles are Django groups named here (and nowhere
else); no model permission means anything. The rule:

- a coordinator sees every case and its photos;
- a surgeon sees the cases routed to them and their photos;
- a clinic administrator uses the admin, which shows no patient information,
  and exports the access log; they see cases only if they also hold a role above;
- anyone else (no role, inactive, anonymous) sees nothing.

Every staff view that shows patient information is a ``phi_view``: it can only
get a case or photo through ``case_for``/``photo_for``/``cases_listed``, which
need the recorder the decorator puts on the request, and the decorator writes
exactly one ``AccessRecord`` for the response, whatever its status. A refusal
of a signed-in user is recorded too (outcome "denied") and logged with ids.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Count, Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.views.decorators.cache import never_cache

from common.authenticated import AuthenticatedHttpRequest, is_signed_in
from common.network import client_address

from .models import AccessOutcome, AccessRecord, ConsultationRequest
from .workflow import Role

if TYPE_CHECKING:
    from uploads.models import Photo

logger = logging.getLogger(__name__)


class StaffRole(StrEnum):
    ADMINISTRATOR = "administrator"
    COORDINATOR = Role.COORDINATOR.value
    SURGEON = Role.SURGEON.value


# The group that holds each role. Groups are created when a role is first
# granted; they carry no permissions.
ROLE_GROUPS = {
    StaffRole.ADMINISTRATOR: "administrators",
    StaffRole.COORDINATOR: "coordinators",
    StaffRole.SURGEON: "surgeons",
}
_GROUP_ROLES = {group: role for role, group in ROLE_GROUPS.items()}


# --- Roles ---------------------------------------------------------------------


def roles_of(user) -> frozenset[StaffRole]:
    """The roles of an active, signed-in user; a superuser is an administrator."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    # One query per request at most: cached on the user object.
    if not hasattr(user, "_portal_roles"):
        names = user.groups.filter(name__in=_GROUP_ROLES).values_list("name", flat=True)
        roles = {_GROUP_ROLES[name] for name in names}
        if user.is_superuser:
            roles.add(StaffRole.ADMINISTRATOR)
        user._portal_roles = frozenset(roles)
    return user._portal_roles


def case_role(user) -> Role | None:
    """The role the user works cases in (a coordinator who is also a surgeon coordinates)."""
    roles = roles_of(user)
    if StaffRole.COORDINATOR in roles:
        return Role.COORDINATOR
    if StaffRole.SURGEON in roles:
        return Role.SURGEON
    return None


def is_administrator(user) -> bool:
    return StaffRole.ADMINISTRATOR in roles_of(user)


def grant_role(user, role: StaffRole) -> None:
    group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
    user.groups.add(group)
    user.__dict__.pop("_portal_roles", None)


def users_with_role(role: StaffRole) -> QuerySet:
    """Active users holding ``role`` (who gets routed cases, who is notified)."""
    return get_user_model().objects.filter(is_active=True, groups__name=ROLE_GROUPS[role])


# --- The rule --------------------------------------------------------------------


def consultations_visible_to(user) -> QuerySet[ConsultationRequest]:
    """Coordinators see every case; a surgeon only the cases routed to them.

    An erased case is a tombstone with nothing to see: nobody opens it.
    """
    role = case_role(user)
    cases = ConsultationRequest.objects.filter(erased_at__isnull=True)
    if role == Role.COORDINATOR:
        return cases
    if role == Role.SURGEON:
        return cases.filter(surgeon=user)
    return ConsultationRequest.objects.none()


def photos_visible_to(user):
    from uploads.models import Photo

    return Photo.objects.select_related("consultation").filter(
        consultation__in=consultations_visible_to(user)
    )


# --- Recording ---------------------------------------------------------------------


@dataclass
class _Look:
    """What one request opened through the rule; ``phi_view`` records it once."""

    case: ConsultationRequest | None = None
    photo: "Photo | None" = None
    rendition: str = ""
    listed: list[str] = field(default_factory=list)
    is_list: bool = False
    denied_reference: str = ""
    denied_photo: uuid.UUID | None = None


class StaffRequest(AuthenticatedHttpRequest):
    """The request a ``phi_view`` hands its view: a signed-in user with a case role."""

    role: Role
    _access_look: _Look


def _look(request: StaffRequest) -> _Look:
    look = getattr(request, "_access_look", None)
    if look is None:
        raise ImproperlyConfigured("Patient information is opened only inside a phi_view.")
    return look


def case_for(request: StaffRequest, reference: str) -> ConsultationRequest:
    """The case if this user may see it; otherwise 404, whether or not it exists."""
    look = _look(request)
    consultation = consultations_visible_to(request.user).filter(reference=reference).first()
    if consultation is None:
        look.denied_reference = reference[:12]
        raise Http404("No such case.")
    look.case = consultation
    return consultation


def photo_for(request: StaffRequest, photo_id: uuid.UUID, rendition: str = "") -> "Photo":
    """The photo if this user may see it; the same 404 for missing and forbidden."""
    from uploads.models import Photo

    look = _look(request)
    try:
        photo = photos_visible_to(request.user).get(pk=photo_id)
    except Photo.DoesNotExist:
        look.denied_photo = photo_id
        raise Http404("No such photo.") from None
    look.case, look.photo, look.rendition = photo.consultation, photo, rendition
    return photo


def cases_listed(request: StaffRequest, cases) -> None:
    """A list page shows these cases (names, statuses): one record lists their references."""
    look = _look(request)
    look.is_list = True
    look.listed = [case.reference for case in cases]


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name if match else "")[:80]


def record(
    request: AuthenticatedHttpRequest, *, outcome: str, status_code: int, look: _Look | None = None
) -> None:
    """Write one access record for this request (the only writer of the access log)."""
    look = look or _Look()
    case = look.case
    logger.info(
        "access %s user=%s view=%s case=%s photo=%s status=%s",
        outcome,
        request.user.pk,
        _view_name(request),
        case.pk if case else None,
        look.photo.pk if look.photo else None,
        status_code,
    )
    AccessRecord.objects.create(
        user=request.user,
        outcome=outcome,
        view=_view_name(request),
        status_code=status_code,
        case_id=case.pk if case else None,
        reference=case.reference if case else look.denied_reference,
        photo_id=look.photo.pk if look.photo else look.denied_photo,
        rendition=look.rendition,
        listed=" ".join(look.listed),
        ip_address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
    )


def record_denial(
    request: AuthenticatedHttpRequest, *, status_code: int, look: _Look | None = None
) -> None:
    """A signed-in user was refused: a log line with ids, and a 'denied' access record."""
    record(request, outcome=AccessOutcome.DENIED, status_code=status_code, look=look)


_P = ParamSpec("_P")


def phi_view(
    *roles: Role,
) -> Callable[
    [Callable[Concatenate[StaffRequest, _P], HttpResponseBase]],
    Callable[Concatenate[HttpRequest, _P], HttpResponseBase],
]:
    """Staff with one of ``roles`` only; every response is recorded, once.

    Anonymous visitors are sent to sign in. A signed-in user is refused a case
    or photo they may not see with the same 404 as a missing one, and a page
    of another role (a surgeon on the queue) with 403; both are recorded as denials.
    """

    def decorator(
        view: Callable[Concatenate[StaffRequest, _P], HttpResponseBase],
    ) -> Callable[Concatenate[HttpRequest, _P], HttpResponseBase]:
        @wraps(view)
        @never_cache
        def wrapper(request: HttpRequest, *args: _P.args, **kwargs: _P.kwargs) -> HttpResponseBase:
            if not is_signed_in(request):
                return redirect_to_login(request.get_full_path())
            role = case_role(request.user)
            if role not in roles:
                # A URL naming a case or photo answers as if it did not exist;
                # a page of the wrong role (a surgeon on the queue) is refused.
                refused = 404 if kwargs else 403
                record_denial(request, status_code=refused)
                raise Http404("No such case.") if kwargs else PermissionDenied
            # The two attributes below are what makes it a StaffRequest.
            staff_request = cast(StaffRequest, request)
            staff_request.role = role
            staff_request._access_look = look = _Look()
            try:
                response = view(staff_request, *args, **kwargs)
            except Http404:
                if look.case is None:
                    record_denial(request, status_code=404, look=look)
                else:  # Opened, then not there (a photo's file missing): no refusal.
                    record(request, outcome=AccessOutcome.SHOWN, status_code=404, look=look)
                raise
            if look.case or look.is_list:
                record(
                    request,
                    outcome=AccessOutcome.SHOWN,
                    status_code=response.status_code,
                    look=look,
                )
            return response

        # A marker tests/test_access_rule.py reads off every URL's view;
        # mypy knows no attributes on a function beyond its signature.
        wrapper.phi_view = True  # type: ignore[attr-defined]
        return wrapper

    return decorator


def viewers_of(consultation: ConsultationRequest) -> list[dict]:
    """Coordinators who opened this case: who, when last, how often (for the case page)."""
    rows = (
        AccessRecord.objects.filter(
            case_id=consultation.pk,
            outcome=AccessOutcome.SHOWN,
            user__groups__name=ROLE_GROUPS[StaffRole.COORDINATOR],
        )
        .values("user")
        .annotate(last_viewed=Max("created_at"), views=Count("id"))
        .order_by("-last_viewed")
    )
    users = get_user_model().objects.in_bulk([row["user"] for row in rows])
    return [{**row, "user": users[row["user"]]} for row in rows]
