"""Retention: spam, duplicates and closed cases are erased after their periods, daily."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from consultations import case_changes
from consultations.models import ConsultationRequest
from lifecycle.models import ErasureRecord
from lifecycle.tasks import retention_apply_task
from tests.factories import ConsultationRequestFactory

pytestmark = pytest.mark.django_db


def days_later(time_machine, days: float) -> None:
    time_machine.move_to(timezone.now() + datetime.timedelta(days=days))


@pytest.fixture
def cases(coordinator_user, time_machine):
    """A spam request and a duplicate marked today; a case closed today; one still open."""
    time_machine.move_to(timezone.now())
    by = coordinator_user
    spam = ConsultationRequestFactory()
    spam = case_changes.consultation_mark_spam(
        consultation=spam, by=by, note="", version=spam.version
    )
    original = ConsultationRequestFactory()
    duplicate = ConsultationRequestFactory()
    duplicate = case_changes.consultation_mark_duplicate(
        consultation=duplicate,
        by=by,
        original_reference=original.reference,
        note="",
        version=duplicate.version,
    )
    closed = ConsultationRequestFactory()
    closed = case_changes.consultation_start_triage(
        consultation=closed, by=by, version=closed.version
    )
    closed = case_changes.consultation_close(
        consultation=closed, by=by, outcome="consultation_booked", note="", version=closed.version
    )
    return {"spam": spam, "duplicate": duplicate, "closed": closed, "open": original}


def erased() -> set[str]:
    return set(
        ConsultationRequest.objects.filter(erased_at__isnull=False).values_list(
            "reference", flat=True
        )
    )


def retention(*args) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_nothing_is_erased_before_its_period(cases, time_machine):
    days_later(time_machine, 29)
    assert retention_apply_task() == 0
    assert erased() == set()


def test_spam_and_duplicates_go_after_30_days_closed_cases_after_the_clinics_period(
    cases, time_machine, django_capture_on_commit_callbacks
):
    days_later(time_machine, 31)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_apply_task() == 2
    assert erased() == {cases["spam"].reference, cases["duplicate"].reference}
    record = ErasureRecord.objects.get(reference=cases["spam"].reference)
    assert record.erased_by is None
    assert record.reason == "Retention: spam for more than 30 days"

    days_later(time_machine, 365 - 31)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_apply_task() == 1
    assert cases["closed"].reference in erased()
    # Open cases are never erased by age alone.
    assert cases["open"].reference not in erased()


def test_the_command_lists_with_dry_run_and_erases_without(
    cases, time_machine, django_capture_on_commit_callbacks
):
    days_later(time_machine, 31)
    listing = retention("--dry-run")
    assert f"would erase {cases['spam'].reference} spam since" in listing
    assert f"would erase {cases['duplicate'].reference} duplicate since" in listing
    assert cases["closed"].reference not in listing
    assert "2 request(s) to erase." in listing
    assert erased() == set()

    with django_capture_on_commit_callbacks(execute=True):
        done = retention()
    assert f"erased {cases['spam'].reference}" in done
    assert erased() == {cases["spam"].reference, cases["duplicate"].reference}
    assert "0 request(s) to erase." in retention("--dry-run")


def test_the_periods_follow_the_settings(cases, settings, time_machine):
    settings.PORTAL_RETENTION_CLOSED_DAYS = 10
    days_later(time_machine, 11)
    listing = retention("--dry-run")
    assert cases["closed"].reference in listing
    assert cases["spam"].reference not in listing


def test_beat_runs_retention_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["retention-apply"]
    assert entry["task"] == retention_apply_task.name
    assert entry["schedule"] == 24 * 60 * 60
