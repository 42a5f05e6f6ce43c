"""The one place that says which status changes exist and who may make them."""

from dataclasses import dataclass
from enum import StrEnum

from .models import Status


class Role(StrEnum):
    COORDINATOR = "coordinator"
    SURGEON = "surgeon"
    PATIENT = "patient"


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
    label: str


_OPEN_FOR_TRIAGE = frozenset({Status.SUBMITTED, Status.IN_TRIAGE})

TRANSITIONS: dict[Action, Transition] = {
    Action.START_TRIAGE: Transition(
        frozenset({Status.SUBMITTED}), Status.IN_TRIAGE, Role.COORDINATOR, "Start triage"
    ),
    Action.REQUEST_INFO: Transition(
        _OPEN_FOR_TRIAGE, Status.AWAITING_PATIENT, Role.COORDINATOR, "Ask the patient for more"
    ),
    Action.PATIENT_REPLY: Transition(
        frozenset({Status.AWAITING_PATIENT}), Status.IN_TRIAGE, Role.PATIENT, "Patient replied"
    ),
    # Routing again from "routed" hands the case to another surgeon.
    Action.ROUTE: Transition(
        _OPEN_FOR_TRIAGE | {Status.ROUTED}, Status.ROUTED, Role.COORDINATOR, "Route to a surgeon"
    ),
    Action.RECORD_REVIEW: Transition(
        frozenset({Status.ROUTED}), Status.REVIEWED, Role.SURGEON, "Record review"
    ),
    Action.CLOSE: Transition(
        frozenset({Status.IN_TRIAGE, Status.AWAITING_PATIENT, Status.REVIEWED}),
        Status.CLOSED,
        Role.COORDINATOR,
        "Close the case",
    ),
    Action.MARK_SPAM: Transition(_OPEN_FOR_TRIAGE, Status.SPAM, Role.COORDINATOR, "Mark as spam"),
    Action.MARK_DUPLICATE: Transition(
        _OPEN_FOR_TRIAGE | {Status.AWAITING_PATIENT},
        Status.DUPLICATE,
        Role.COORDINATOR,
        "Mark as duplicate",
    ),
}


class TransitionRefused(Exception):
    """The action is not allowed now, or not for this person; the message says why."""


def transition_check(*, action: Action, status: str, role: Role | None) -> Transition:
    transition = TRANSITIONS[action]
    if role != transition.role:
        raise TransitionRefused(f"Only a {transition.role} can {transition.label.lower()}.")
    if Status(status) not in transition.sources:
        raise TransitionRefused(
            f"“{transition.label}” is not possible while the case is "
            f"{Status(status).label.lower()}."
        )
    return transition


def actions_available(*, status: str, role: Role | None) -> list[Action]:
    return [
        action
        for action, transition in TRANSITIONS.items()
        if transition.role == role and Status(status) in transition.sources
    ]
