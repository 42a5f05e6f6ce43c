"""The one place that says which status changes exist and who may make them."""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Role(StrEnum):
    COORDINATOR = "coordinator"
    SURGEON = "surgeon"
    PATIENT = "patient"


# What "Only a … can …" calls each role.
_ROLE_NAMES: dict[Role, "StrOrPromise"] = {
    Role.COORDINATOR: _("coordinator"),
    Role.SURGEON: _("surgeon"),
    Role.PATIENT: _("patient"),
}


class Action(StrEnum):
    START_TRIAGE = "start_triage"
    REQUEST_INFO = "request_info"
    PATIENT_REPLY = "patient_reply"
    ROUTE = "route"
    RECORD_REVIEW = "record_review"
    CLOSE = "close"
    MARK_SPAM = "mark_spam"
    MARK_DUPLICATE = "mark_duplicate"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    role: Role
    label: "StrOrPromise"


_OPEN_FOR_TRIAGE = frozenset({Status.SUBMITTED, Status.IN_TRIAGE})

TRANSITIONS: dict[Action, Transition] = {
    Action.START_TRIAGE: Transition(
        frozenset({Status.SUBMITTED}), Status.IN_TRIAGE, Role.COORDINATOR, _("Start triage")
    ),
    Action.REQUEST_INFO: Transition(
        _OPEN_FOR_TRIAGE, Status.AWAITING_PATIENT, Role.COORDINATOR, _("Ask the patient for more")
    ),
    Action.PATIENT_REPLY: Transition(
        frozenset({Status.AWAITING_PATIENT}), Status.IN_TRIAGE, Role.PATIENT, _("Patient replied")
    ),
    # Routing again from "routed" hands the case to another surgeon.
    Action.ROUTE: Transition(
        _OPEN_FOR_TRIAGE | {Status.ROUTED}, Status.ROUTED, Role.COORDINATOR, _("Route to a surgeon")
    ),
    Action.RECORD_REVIEW: Transition(
        frozenset({Status.ROUTED}), Status.REVIEWED, Role.SURGEON, _("Record review")
    ),
    Action.CLOSE: Transition(
        frozenset({Status.IN_TRIAGE, Status.AWAITING_PATIENT, Status.REVIEWED}),
        Status.CLOSED,
        Role.COORDINATOR,
        _("Close the case"),
    ),
    Action.MARK_SPAM: Transition(
        _OPEN_FOR_TRIAGE, Status.SPAM, Role.COORDINATOR, _("Mark as spam")
    ),
    Action.MARK_DUPLICATE: Transition(
        _OPEN_FOR_TRIAGE | {Status.AWAITING_PATIENT},
        Status.DUPLICATE,
        Role.COORDINATOR,
        _("Mark as duplicate"),
    ),
}


class TransitionRefused(Exception):
    """The action is not allowed now, or not for this person; the message says why."""


def transition_check(*, action: Action, status: str, role: Role | None) -> Transition:
    transition = TRANSITIONS[action]
    if role != transition.role:
        raise TransitionRefused(
            gettext("Only a %(role)s can %(action)s.")
            % {"role": _ROLE_NAMES[transition.role], "action": transition.label.lower()}
        )
    if Status(status) not in transition.sources:
        raise TransitionRefused(
            gettext("“%(action)s” is not possible while the case is %(status)s.")
            % {"action": transition.label, "status": Status(status).label.lower()}
        )
    return transition


def actions_available(*, status: str, role: Role | None) -> list[Action]:
    return [
        action
        for action, transition in TRANSITIONS.items()
        if transition.role == role and Status(status) in transition.sources
    ]
