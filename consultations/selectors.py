"""Reads for the staff pages: a fixed number of queries whatever the page size."""

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import phonenumbers
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from uploads.models import Photo, angle_rank

from .models import (
    AccessOutcome,
    AccessRecord,
    ConsultationRequest,
    InformationRequest,
    RequestConcern,
    Status,
    SurgeonReview,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

WAITING_BUCKETS = {
    "today": (_("Less than a day"), 0, 1),
    "1-3": (_("1 to 3 days"), 1, 3),
    "3-7": (_("3 to 7 days"), 3, 7),
    "7+": (_("More than a week"), 7, None),
}
PATIENT_AGE_BUCKETS = {
    "18-29": (_("18 to 29"), 18, 29),
    "30-44": (_("30 to 44"), 30, 44),
    "45-59": (_("45 to 59"), 45, 59),
    "60+": (_("60 and over"), 60, None),
}
QUEUE_PAGE_SIZE = 25
_REFERENCE = re.compile(r"^(CR-?)?([2-9A-HJ-NP-Z]{4})-?([2-9A-HJ-NP-Z]{4})$")


# The queue's tabs: each a group of statuses, by what the case is waiting for.
STATUS_TABS: dict[str, tuple["StrOrPromise", frozenset[Status]]] = {
    "triage": (_("Needs triage"), frozenset({Status.SUBMITTED, Status.IN_TRIAGE})),
    "awaiting_patient": (_("Awaiting patient"), frozenset({Status.AWAITING_PATIENT})),
    "routed": (_("With a surgeon"), frozenset({Status.ROUTED})),
    "reviewed": (_("Reviewed"), frozenset({Status.REVIEWED})),
    "closed": (_("Closed"), frozenset({Status.CLOSED, Status.SPAM, Status.DUPLICATE})),
}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""  # a key of STATUS_TABS
    concern: str = ""
    surgeon: int | None = None
    waiting: str = ""
    patient_age: str = ""
    q: str = ""
    oldest_first: bool = False
    taken_by: int | None = None


def reference_from_text(text: str) -> str | None:
    """A reference as people type it ("cr7k4mq2xp", "7K4M Q2XP", "CR-7K4M-Q2XP")
    in its stored form, or None if the text is not one."""
    match = _REFERENCE.match(text.strip().upper().replace(" ", ""))
    return f"CR-{match.group(2)}-{match.group(3)}" if match else None


def _search(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    reference = reference_from_text(text)
    if reference:
        return queryset.filter(reference=reference)
    if "@" in text:
        # Matches the index on lower(email).
        return queryset.annotate(email_lower=Lower("email")).filter(email_lower=text.lower())
    digits = re.sub(r"[^\d+]", "", text)
    if len(digits) >= 6 and not re.search(r"[A-Za-z]", text):
        try:
            number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            return queryset.none()
        return queryset.filter(
            phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        )
    condition = Q()
    for word in text.split():
        condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return queryset.filter(condition)


def _born_between(youngest: int, oldest: int | None) -> dict:
    """Date-of-birth bounds for patients aged youngest..oldest today, inclusive."""
    today = timezone.localdate()

    def years_ago(years: int) -> datetime.date:
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February in a year without one
            return today.replace(year=today.year - years, day=28)

    bounds = {"date_of_birth__lte": years_ago(youngest)}
    if oldest is not None:
        bounds["date_of_birth__gt"] = years_ago(oldest + 1)
    return bounds


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def queue_page(*, queryset: QuerySet, filters: QueueFilters, page_number, viewer) -> Page:
    # Correlated subqueries run for the page's rows only; a JOIN + GROUP BY would
    # aggregate every photo of every request before sorting.
    photo_count = (
        Photo.objects.filter(consultation=OuterRef("pk"))
        .order_by()
        .values("consultation")
        .annotate(n=Count("*"))
        .values("n")
    )
    # The viewer's last look at each case is in the access log, which records
    # every opening of a case page: what came after it is new to them.
    looks = AccessRecord.objects.filter(
        case_id=OuterRef("pk"),
        user_id=viewer.pk,
        view="staff:case_detail",
        outcome=AccessOutcome.SHOWN,
    )
    answers = InformationRequest.objects.filter(
        consultation=OuterRef("pk"), answered_at__isnull=False
    )
    cases = (
        queryset.select_related("surgeon", "taken_by")
        .prefetch_related("concerns")
        .annotate(
            photo_count=Coalesce(Subquery(photo_count, output_field=IntegerField()), 0),
            last_looked_at=_latest(looks, "created_at"),
            last_answered_at=_latest(answers, "answered_at"),
            last_reviewed_at=_latest(
                SurgeonReview.objects.filter(consultation=OuterRef("pk")), "created_at"
            ),
        )
    )
    if filters.status in STATUS_TABS:
        cases = cases.filter(status__in=STATUS_TABS[filters.status][1])
    if filters.taken_by:
        cases = cases.filter(taken_by_id=filters.taken_by)
    if filters.concern:
        cases = cases.filter(
            Exists(RequestConcern.objects.filter(consultation=OuterRef("pk"), area=filters.concern))
        )
    if filters.surgeon:
        cases = cases.filter(surgeon_id=filters.surgeon)
    if filters.waiting in WAITING_BUCKETS:
        _, newest_days, oldest_days = WAITING_BUCKETS[filters.waiting]
        now = timezone.now()
        cases = cases.filter(created_at__lte=now - datetime.timedelta(days=newest_days))
        if oldest_days is not None:
            cases = cases.filter(created_at__gt=now - datetime.timedelta(days=oldest_days))
    if filters.patient_age in PATIENT_AGE_BUCKETS:
        cases = cases.filter(**_born_between(*PATIENT_AGE_BUCKETS[filters.patient_age][1:]))
    if filters.q:
        cases = _search(cases, filters.q)
    order = ("created_at", "id") if filters.oldest_first else ("-created_at", "-id")
    paginator = Paginator(cases.order_by(*order), QUEUE_PAGE_SIZE)
    return paginator.get_page(page_number)


def tab_counts(queryset: QuerySet) -> dict[str, int]:
    """How many cases each tab holds, in one grouped count."""
    by_status = dict(queryset.order_by().values_list("status").annotate(n=Count("*")))
    return {
        key: sum(by_status.get(status, 0) for status in statuses)
        for key, (_, statuses) in STATUS_TABS.items()
    }


def case_photos(*, consultation: ConsultationRequest) -> list[Photo]:
    """A case's photos in ANGLE_ORDER, oldest first within an angle, renditions
    prefetched: the case page and the compare page show the same sequence."""
    photos = consultation.photos.prefetch_related("renditions")
    return sorted(photos, key=lambda photo: (angle_rank(photo.angle), photo.created_at))


def case_detail_related(consultation: ConsultationRequest) -> dict:
    """Everything the case page lists, each in one query."""
    information_requests = list(consultation.information_requests.select_related("asked_by"))
    answered = [item for item in information_requests if item.answered_at]
    return {
        "latest_answer": answered[-1] if answered else None,
        "concerns": list(consultation.concerns.all()),
        "treatments": list(consultation.treatments.all()),
        "photos": case_photos(consultation=consultation),
        "timeline": list(consultation.status_changes.select_related("actor")),
        "notes": list(consultation.internal_notes.select_related("author")),
        "information_requests": information_requests,
        "reviews": list(consultation.reviews.select_related("surgeon")),
    }
