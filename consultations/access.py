"""Who may see which case: the one rule, used by every staff view and the photo view."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from .models import ConsultationRequest
from .roles import COORDINATORS, SURGEONS
from .workflow import Role


def user_role(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    # One query per request at most; the result is cached on the user object.
    if not hasattr(user, "_portal_role"):
        groups = set(user.groups.values_list("name", flat=True))
        user._portal_role = (
            Role.COORDINATOR
            if COORDINATORS in groups
            else Role.SURGEON
            if SURGEONS in groups
            else None
        )
    return user._portal_role


def consultations_visible_to(user) -> QuerySet[ConsultationRequest]:
    """Coordinators see every case; a surgeon only the cases routed to them."""
    role = user_role(user)
    if role == Role.COORDINATOR:
        return ConsultationRequest.objects.all()
    if role == Role.SURGEON:
        return ConsultationRequest.objects.filter(surgeon=user)
    return ConsultationRequest.objects.none()


def get_consultation_for(user, reference: str) -> ConsultationRequest:
    """The case if this user may see it; otherwise 404, whether or not it exists."""
    consultation = consultations_visible_to(user).filter(reference=reference).first()
    if consultation is None:
        raise Http404("No such case.")
    return consultation
