"""The case state machine: every allowed and refused transition, and concurrent edits."""

import pytest

from consultations import case_changes
from consultations.models import Outcome, Recommendation, Status, StatusChange
from consultations.workflow import (
    TRANSITIONS,
    Action,
    Role,
    TransitionRefused,
    actions_available,
    transition_check,
)
from tests.factories import ConsultationRequestFactory

pytestmark = pytest.mark.django_db

ALLOWED = {
    (Action.START_TRIAGE, Status.SUBMITTED),
    (Action.REQUEST_INFO, Status.SUBMITTED),
    (Action.REQUEST_INFO, Status.IN_TRIAGE),
    (Action.PATIENT_REPLY, Status.AWAITING_PATIENT),
    (Action.ROUTE, Status.SUBMITTED),
    (Action.ROUTE, Status.IN_TRIAGE),
    (Action.ROUTE, Status.ROUTED),
    (Action.RECORD_REVIEW, Status.ROUTED),
    (Action.CLOSE, Status.IN_TRIAGE),
    (Action.CLOSE, Status.AWAITING_PATIENT),
    (Action.CLOSE, Status.REVIEWED),
    (Action.MARK_SPAM, Status.SUBMITTED),
    (Action.MARK_SPAM, Status.IN_TRIAGE),
    (Action.MARK_DUPLICATE, Status.SUBMITTED),
    (Action.MARK_DUPLICATE, Status.IN_TRIAGE),
    (Action.MARK_DUPLICATE, Status.AWAITING_PATIENT),
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_the_transition_table(action, status):
    role = TRANSITIONS[action].role
    if (action, status) in ALLOWED:
        assert transition_check(action=action, status=status, role=role).target
    else:
        with pytest.raises(TransitionRefused, match="is not possible while the case is"):
            transition_check(action=action, status=status, role=role)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [*Role, None])
def test_only_the_named_role_may_act(action, role):
    status = next(s for a, s in ALLOWED if a == action)
    if role == TRANSITIONS[action].role:
        transition_check(action=action, status=status, role=role)
    else:
        with pytest.raises(TransitionRefused, match="Only a"):
            transition_check(action=action, status=status, role=role)


def test_closed_states_offer_no_actions():
    for status in (Status.CLOSED, Status.SPAM, Status.DUPLICATE):
        for role in Role:
            assert actions_available(status=status, role=role) == []


def test_a_full_journey_writes_the_timeline(coordinator_user, surgeon_user):
    case = ConsultationRequestFactory()
    case = case_changes.consultation_start_triage(
        consultation=case, by=coordinator_user, version=case.version
    )
    case = case_changes.consultation_route(
        consultation=case,
        by=coordinator_user,
        surgeon=surgeon_user,
        note="Please look",
        version=case.version,
    )
    case = case_changes.consultation_record_review(
        consultation=case,
        by=surgeon_user,
        recommendation=Recommendation.FAT_GRAFTING_CANDIDATE,
        assessment="Good candidate.",
        version=case.version,
    )
    case = case_changes.consultation_close(
        consultation=case,
        by=coordinator_user,
        outcome=Outcome.CONSULTATION_BOOKED,
        note="",
        version=case.version,
    )
    assert case.status == Status.CLOSED
    assert case.version == 5
    timeline = list(
        StatusChange.objects.filter(consultation=case).values_list(
            "from_status", "to_status", "actor__username", "note"
        )
    )
    assert timeline == [
        ("submitted", "in_triage", "coordinator", ""),
        ("in_triage", "routed", "coordinator", "Please look"),
        ("routed", "reviewed", "surgeon", "Surgeon's review recorded."),
        ("reviewed", "closed", "coordinator", ""),
    ]


def test_a_refused_transition_changes_nothing(coordinator_user):
    case = ConsultationRequestFactory(status=Status.SUBMITTED)
    with pytest.raises(TransitionRefused, match="not possible while the case is submitted"):
        case_changes.consultation_close(
            consultation=case,
            by=coordinator_user,
            outcome=Outcome.NO_RESPONSE,
            note="",
            version=case.version,
        )
    case.refresh_from_db()
    assert (case.status, case.version) == (Status.SUBMITTED, 1)
    assert not StatusChange.objects.exists()


def test_a_second_person_acting_on_a_stale_page_is_refused(coordinator_user, surgeon_user):
    from tests.staff import coordinator

    colleague = coordinator("colleague")
    case = ConsultationRequestFactory()
    seen_version = case.version
    case_changes.consultation_mark_spam(
        consultation=case, by=colleague, note="spam", version=seen_version
    )
    with pytest.raises(TransitionRefused, match="Someone else changed this case"):
        case_changes.consultation_route(
            consultation=case,
            by=coordinator_user,
            surgeon=surgeon_user,
            note="",
            version=seen_version,
        )
    case.refresh_from_db()
    assert case.status == Status.SPAM and case.surgeon is None


def test_only_the_routed_surgeon_may_review(coordinator_user, surgeon_user, other_surgeon_user):
    case = ConsultationRequestFactory()
    case = case_changes.consultation_route(
        consultation=case, by=coordinator_user, surgeon=surgeon_user, note="", version=case.version
    )
    with pytest.raises(TransitionRefused, match="routed to another surgeon"):
        case_changes.consultation_record_review(
            consultation=case,
            by=other_surgeon_user,
            recommendation="other",
            assessment="x",
            version=case.version,
        )


def test_routing_needs_an_active_surgeon(coordinator_user, surgeon_user):
    case = ConsultationRequestFactory()
    with pytest.raises(TransitionRefused, match="active surgeon"):
        case_changes.consultation_route(
            consultation=case,
            by=coordinator_user,
            surgeon=coordinator_user,
            note="",
            version=case.version,
        )
    surgeon_user.is_active = False
    surgeon_user.save()
    with pytest.raises(TransitionRefused, match="active surgeon"):
        case_changes.consultation_route(
            consultation=case,
            by=coordinator_user,
            surgeon=surgeon_user,
            note="",
            version=case.version,
        )


def test_a_duplicate_names_its_original(coordinator_user):
    original = ConsultationRequestFactory()
    case = ConsultationRequestFactory()
    with pytest.raises(TransitionRefused, match="not another request's reference"):
        case_changes.consultation_mark_duplicate(
            consultation=case,
            by=coordinator_user,
            original_reference=case.reference,
            note="",
            version=case.version,
        )
    case = case_changes.consultation_mark_duplicate(
        consultation=case,
        by=coordinator_user,
        original_reference=original.reference,
        note="",
        version=case.version,
    )
    assert case.status == Status.DUPLICATE and case.duplicate_of == original


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_acting_at_the_same_moment_one_wins_one_is_told(surgeon_user):
    """Both saw version 1 and press their buttons together: the row lock makes
    the second wait, then it finds the version moved and is refused."""
    import threading

    from django.db import connection

    from tests.staff import coordinator

    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL (SQLite locks the whole file)")
    first, second = coordinator("first"), coordinator("second")
    case = ConsultationRequestFactory()
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(name, service):
        barrier.wait()
        try:
            service()
            outcomes[name] = "done"
        except TransitionRefused as refused:
            outcomes[name] = str(refused)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=act,
            args=(
                "spam",
                lambda: case_changes.consultation_mark_spam(
                    consultation=case, by=first, note="", version=1
                ),
            ),
        ),
        threading.Thread(
            target=act,
            args=(
                "route",
                lambda: case_changes.consultation_route(
                    consultation=case, by=second, surgeon=surgeon_user, note="", version=1
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    results = list(outcomes.values())
    assert results.count("done") == 1, outcomes
    refused = next(r for r in results if r != "done")
    assert refused.startswith("Someone else changed this case"), outcomes
    case.refresh_from_db()
    assert case.version == 2
    assert StatusChange.objects.filter(consultation=case).count() == 1
