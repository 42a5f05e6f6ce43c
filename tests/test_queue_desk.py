"""The queue as a triage desk: who and what each row is, tabs with counts, overdue
in words, what is new since this coordinator last looked, and taking a case."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from consultations import case_changes
from consultations.models import RequestConcern, Status
from consultations.working_days import working_days_between
from tests.case_steps import answered, reviewed, routed
from tests.factories import ConsultationRequestFactory
from tests.staff import coordinator, signed_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("staff:queue")


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-11-30", "2026-11-30", 0),  # Monday, same day
        ("2026-11-30", "2026-12-01", 1),
        ("2026-11-27", "2026-11-30", 1),  # Friday to Monday: the weekend does not count
        ("2026-11-28", "2026-11-29", 0),  # Saturday to Sunday
        ("2026-11-27", "2026-12-11", 10),  # two weeks
        ("2026-12-01", "2026-11-30", 0),
    ],
)
def test_working_days(start, end, days):
    dates = [datetime.date.fromisoformat(d) for d in (start, end)]
    assert working_days_between(*dates) == days


@pytest.fixture
def desk(client, coordinator_user):
    signed_in(client, coordinator_user)
    return client


def rows(response):
    return {row.case.reference: row for row in response.context["rows"]}


def test_a_row_says_who_and_what(desk, surgeon_user, coordinator_user):
    case = ConsultationRequestFactory(first_name="Persephone", last_name="Zyx")
    RequestConcern.objects.create(consultation=case, area="cheeks")
    RequestConcern.objects.create(consultation=case, area="temples")
    routed(case=case, by=coordinator_user, surgeon=surgeon_user)
    html = desk.get(QUEUE).content.decode()
    assert "Persephone Zyx" in html
    assert "Cheeks" in html and "Temples" in html
    assert "Surgeon Staff" in html
    assert "0 working days" in html
    assert "Last activity" in html


def test_tabs_count_every_case_and_filter_by_group(desk):
    ConsultationRequestFactory.create_batch(2)
    ConsultationRequestFactory(status=Status.IN_TRIAGE)
    ConsultationRequestFactory(status=Status.AWAITING_PATIENT)
    ConsultationRequestFactory(status=Status.SPAM)
    response = desk.get(QUEUE + "?status=triage&concern=")
    tabs = {tab["label"]: tab for tab in response.context["tabs"]}
    assert {label: tab["count"] for label, tab in tabs.items()} == {
        "All": 5,
        "Needs triage": 3,
        "Awaiting patient": 1,
        "With a surgeon": 0,
        "Reviewed": 0,
        "Closed": 1,
    }
    assert tabs["Needs triage"]["current"] and not tabs["All"]["current"]
    assert len(response.context["rows"]) == 3
    # A tab keeps the other filters.
    assert "concern=" in tabs["Closed"]["url"] and "status=closed" in tabs["Closed"]["url"]
    assert 'aria-current="page">Needs triage' in response.content.decode()


def test_a_request_waiting_too_long_on_the_clinic_is_overdue_in_words(desk, settings):
    settings.PORTAL_QUEUE_OVERDUE_WORKING_DAYS = 2
    # Monday 09:00 and Thursday 09:00: three working days in between.
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, tzinfo=datetime.UTC)):
        waiting = ConsultationRequestFactory()
        patients_turn = ConsultationRequestFactory(status=Status.AWAITING_PATIENT)
    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, tzinfo=datetime.UTC)):
        recent = ConsultationRequestFactory()
    with time_machine.travel(datetime.datetime(2026, 11, 26, 9, tzinfo=datetime.UTC)):
        response = desk.get(QUEUE)
    found = rows(response)
    assert found[waiting.reference].working_days == 3 and found[waiting.reference].overdue
    assert not found[patients_turn.reference].overdue  # the patient's move, not the clinic's
    assert not found[recent.reference].overdue
    html = response.content.decode()
    assert html.count(">Overdue</strong>") == 1
    assert "more than 2 working days" in html


def test_what_is_new_since_this_coordinator_last_looked(desk, coordinator_user, surgeon_user):
    case = ConsultationRequestFactory()
    desk.get(reverse("staff:case_detail", args=[case.reference]))
    assert rows(desk.get(QUEUE))[case.reference].news == ()

    case = answered(case=case, by=coordinator_user, answer="Sent.")
    response = desk.get(QUEUE)
    assert rows(response)[case.reference].news == ("Patient answered",)
    assert "New: patient answered" in response.content.decode()

    # Another coordinator has not looked at all: the answer is new to them too,
    # and what this coordinator has seen stays seen after the other looks.
    colleague = coordinator("colleague")
    desk.get(reverse("staff:case_detail", args=[case.reference]))
    assert rows(desk.get(QUEUE))[case.reference].news == ()
    other = signed_in(Client(), colleague)
    assert rows(other.get(QUEUE))[case.reference].news == ("Patient answered",)

    reviewed(
        case=routed(case=case, by=coordinator_user, surgeon=surgeon_user), surgeon=surgeon_user
    )
    assert rows(desk.get(QUEUE))[case.reference].news == ("Review recorded",)


def test_take_a_case_and_filter_by_mine(desk, coordinator_user):
    mine = ConsultationRequestFactory()
    theirs = ConsultationRequestFactory()
    colleague = coordinator("colleague")
    case_changes.consultation_take(consultation=theirs, by=colleague)
    before = mine.updated_at

    back = QUEUE + "?status=triage"
    response = desk.post(reverse("staff:case_take", args=[mine.reference]), {"next": back})
    assert response["Location"] == back
    mine.refresh_from_db()
    assert mine.taken_by == coordinator_user
    assert mine.updated_at == before  # taking is not activity on the case

    listing = desk.get(QUEUE + "?mine=on")
    assert list(rows(listing)) == [mine.reference]
    html = desk.get(QUEUE).content.decode()
    assert "<strong>Mine</strong>" in html and "Colleague Staff" in html

    # Taking over a colleague's case hands it over; an outside "next" is ignored.
    response = desk.post(
        reverse("staff:case_take", args=[theirs.reference]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("staff:case_detail", args=[theirs.reference])
    theirs.refresh_from_db()
    assert theirs.taken_by == coordinator_user


def test_a_surgeon_cannot_take_a_case(client, surgeon_user, coordinator_user):
    case = routed(by=coordinator_user, surgeon=surgeon_user)
    signed_in(client, surgeon_user)
    assert client.post(reverse("staff:case_take", args=[case.reference])).status_code == 404
    case.refresh_from_db()
    assert case.taken_by is None


def test_the_desk_runs_a_fixed_number_of_queries(
    desk, coordinator_user, surgeon_user, django_assert_num_queries
):
    def add(count):
        for _ in range(count):
            case = answered(by=coordinator_user, answer="!")
            RequestConcern.objects.create(consultation=case, area="cheeks")
            case = routed(case=case, by=coordinator_user, surgeon=surgeon_user)
            case_changes.consultation_take(consultation=case, by=coordinator_user)
            desk.get(reverse("staff:case_detail", args=[case.reference]))

    add(2)
    first = desk.get(QUEUE + "?mine=on")
    assert len(first.context["rows"]) == 2
    with django_assert_num_queries(13):
        desk.get(QUEUE + "?mine=on")
    add(8)
    with django_assert_num_queries(13):
        response = desk.get(QUEUE + "?mine=on")
    assert len(response.context["rows"]) == 10


def test_the_filters_apply_on_change_from_a_script_file(desk):
    html = desk.get(QUEUE).content.decode()
    assert "data-apply-on-change" in html
    assert "js/queue-filters" in html
    assert ">Apply</button>" in html  # without JavaScript
