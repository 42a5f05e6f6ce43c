"""The staff actions on a case: for each, its form, the service it calls, what the
confirmation says, how its button looks and for which statuses it is the next step.

Who may act and from which statuses stays in workflow.TRANSITIONS, which the
services check (the patient's reply goes through it too); this table adds what
the staff pages need, so the case page, the action view and the template all
read one definition.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import case_changes
from .models import ConsultationRequest, Outcome, Recommendation, Status
from .staff_forms import (
    CloseForm,
    DuplicateForm,
    RequestInfoForm,
    ReviewForm,
    RouteForm,
    SimpleActionForm,
    VersionedForm,
)
from .workflow import TRANSITIONS, Action, Role, Transition, actions_available

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Button(StrEnum):
    """How the button looks when the action is not the next step (which is always primary)."""

    PLAIN = "plain"
    DANGER = "danger"


def _name(user) -> str:
    return user.get_full_name() or user.username


def _said(text: "StrOrPromise") -> Callable[[dict], str]:
    # A lazy text, worded in the language of the request that confirms it.
    return lambda data: str(text)


@dataclass(frozen=True)
class StaffAction:
    action: Action
    form: type[VersionedForm]
    # The service and the form fields it takes by name, besides the case, the
    # person acting and the version they saw.
    service: Callable[..., ConsultationRequest]
    fields: tuple[str, ...]
    # The confirmation, from the form's cleaned data.
    done: Callable[[dict], str]
    button: Button = Button.PLAIN
    # The statuses in which this is the one thing to do next.
    next_step_in: frozenset[Status] = frozenset()

    @property
    def transition(self) -> Transition:
        return TRANSITIONS[self.action]

    @property
    def label(self) -> "StrOrPromise":
        return self.transition.label

    def is_next_step(self, status: str) -> bool:
        return Status(status) in self.next_step_in

    def bind(self, data: QueryDict | dict | None = None, *, version: int) -> forms.Form:
        # Several action forms share the case page: each gets its own element ids.
        kwargs: dict[str, Any] = {
            "initial": {"version": version},
            "auto_id": f"id_{self.action}_%s",
        }
        if self.form is RouteForm:
            kwargs["surgeons"] = case_changes.active_surgeons()
        return self.form(data, **kwargs)

    def perform(self, *, consultation: ConsultationRequest, by, data: dict) -> str:
        """Runs the service with the form's cleaned data; returns the confirmation."""
        self.service(
            consultation=consultation,
            by=by,
            version=data["version"],
            **{field: data[field] for field in self.fields},
        )
        return self.done(data)


STAFF_ACTIONS: dict[Action, StaffAction] = {
    entry.action: entry
    for entry in (
        StaffAction(
            Action.START_TRIAGE,
            VersionedForm,
            case_changes.consultation_start_triage,
            (),
            _said(_("Triage started.")),
            next_step_in=frozenset({Status.SUBMITTED}),
        ),
        StaffAction(
            Action.REQUEST_INFO,
            RequestInfoForm,
            case_changes.consultation_request_info,
            ("question",),
            _said(_("Asked the patient for more information.")),
        ),
        StaffAction(
            Action.ROUTE,
            RouteForm,
            case_changes.consultation_route,
            ("surgeon", "note"),
            lambda data: gettext("Routed to %(surgeon)s.") % {"surgeon": _name(data["surgeon"])},
            next_step_in=frozenset({Status.IN_TRIAGE}),
        ),
        StaffAction(
            Action.RECORD_REVIEW,
            ReviewForm,
            case_changes.consultation_record_review,
            ("recommendation", "assessment"),
            lambda data: (
                gettext("Review recorded: %(recommendation)s.")
                % {"recommendation": Recommendation(data["recommendation"]).label.lower()}
            ),
            next_step_in=frozenset({Status.ROUTED}),
        ),
        StaffAction(
            Action.CLOSE,
            CloseForm,
            case_changes.consultation_close,
            ("outcome", "note"),
            lambda data: (
                gettext("Case closed: %(outcome)s.")
                % {"outcome": Outcome(data["outcome"]).label.lower()}
            ),
            next_step_in=frozenset({Status.REVIEWED}),
        ),
        StaffAction(
            Action.MARK_SPAM,
            SimpleActionForm,
            case_changes.consultation_mark_spam,
            ("note",),
            _said(_("Marked as spam.")),
            Button.DANGER,
        ),
        StaffAction(
            Action.MARK_DUPLICATE,
            DuplicateForm,
            case_changes.consultation_mark_duplicate,
            ("original_reference", "note"),
            lambda data: (
                gettext("Marked as a duplicate of %(reference)s.")
                % {"reference": data["original_reference"]}
            ),
            Button.DANGER,
        ),
    )
}


def staff_actions_for(*, status: str, role: Role | None) -> list[StaffAction]:
    """What this person may do now, the next step (if any) first."""
    entries = [STAFF_ACTIONS[a] for a in actions_available(status=status, role=role)]
    return sorted(entries, key=lambda entry: not entry.is_next_step(status))
