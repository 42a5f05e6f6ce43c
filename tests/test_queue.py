"""The coordinators' queue: filters, search, order, and a fixed number of queries."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from consultations import case_changes
from consultations.models import ConsultationRequest, RequestConcern, Status
from tests.factories import ConsultationRequestFactory
from tests.staff import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_client(client, coordinator_user):
    signed_in(client, coordinator_user)
    return client


def refs(response) -> list[str]:
    return [case.reference for case in response.context["page"].object_list]


def test_the_queue_runs_a_fixed_number_of_queries(
    coordinator_client, coordinator_user, surgeon_user, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            case = ConsultationRequestFactory()
            RequestConcern.objects.create(consultation=case, area="cheeks")
            case_changes.consultation_route(
                consultation=case,
                by=coordinator_user,
                surgeon=surgeon_user,
                note="",
                version=case.version,
            )

    add(3)
    with django_assert_max_num_queries(13) as few:
        coordinator_client.get(reverse("staff:queue"))
    baseline = len(few.captured_queries)  # read now: each request resets Django's query log
    add(22)
    coordinator_client.post(reverse("staff:queue"), {"q": "Qzxv"})  # matches nobody
    with django_assert_max_num_queries(baseline):
        response = coordinator_client.get(reverse("staff:queue") + "?concern=cheeks&search=1")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_filters_and_order(coordinator_client, coordinator_user, surgeon_user):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        old = ConsultationRequestFactory()
    new = ConsultationRequestFactory()
    RequestConcern.objects.create(consultation=new, area="temples")
    case = ConsultationRequestFactory()
    routed = case_changes.consultation_route(
        consultation=case,
        by=coordinator_user,
        surgeon=surgeon_user,
        note="",
        version=case.version,
    )
    url = reverse("staff:queue")

    assert refs(coordinator_client.get(url))[-1] == old.reference
    assert refs(coordinator_client.get(url + "?order=oldest"))[0] == old.reference
    assert refs(coordinator_client.get(url + "?concern=temples")) == [new.reference]
    assert refs(coordinator_client.get(url + f"?surgeon={surgeon_user.pk}")) == [routed.reference]
    assert refs(coordinator_client.get(url + "?status=routed")) == [routed.reference]
    assert refs(coordinator_client.get(url + "?waiting=7%2B")) == [old.reference]
    assert old.reference not in refs(coordinator_client.get(url + "?waiting=today"))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("{reference}", "reference"),
        ("{reference_lower_no_dashes}", "reference"),
        ("Persephone", "name"),
        ("persephone zyx", "name"),
        ("P.Zyx@Example.org", "email"),
        ("+44 20 7946 0111", "phone"),
        ("+442079460111", "phone"),
    ],
)
def test_search(coordinator_client, query, field):
    target = ConsultationRequestFactory(
        first_name="Persephone", last_name="Zyx", email="p.zyx@example.org", phone="+442079460111"
    )
    ConsultationRequestFactory(first_name="Other", last_name="Person", phone="+442079460999")
    text = query.format(
        reference=target.reference,
        reference_lower_no_dashes=target.reference.replace("-", "").lower(),
    )
    posted = coordinator_client.post(reverse("staff:queue"), {"q": text, "status": ""})
    # The term stays out of the URL: it may be a name, an email or a phone number.
    assert posted.status_code == 302
    assert text.lower() not in posted["Location"].lower()
    assert "Zyx" not in posted["Location"] and "7946" not in posted["Location"]
    response = coordinator_client.get(posted["Location"])
    assert refs(response) == [target.reference], field
    assert response.context["form"]["q"].value() == text


def test_a_search_term_in_the_url_is_ignored(coordinator_client):
    ConsultationRequestFactory(first_name="Persephone")
    ConsultationRequestFactory(first_name="Other")
    assert len(refs(coordinator_client.get(reverse("staff:queue") + "?q=Persephone"))) == 2


def test_pagination_keeps_the_filters(coordinator_client):
    ConsultationRequestFactory.create_batch(30, status=Status.IN_TRIAGE)
    response = coordinator_client.get(reverse("staff:queue") + "?status=triage")
    assert len(refs(response)) == 25
    html = response.content.decode()
    assert "status=triage&amp;page=2" in html
    second = coordinator_client.get(reverse("staff:queue") + "?status=triage&page=2")
    assert len(refs(second)) == 5
    assert ConsultationRequest.objects.count() == 30


def test_filter_by_patient_age(client, coordinator_user):
    # Signed in inside the travelled time, so the session is fresh there.
    with time_machine.travel(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)):
        signed_in(client, coordinator_user)
        turned_30_today = ConsultationRequestFactory(date_of_birth=datetime.date(1996, 11, 24))
        still_29 = ConsultationRequestFactory(date_of_birth=datetime.date(1996, 11, 25))
        sixty_one = ConsultationRequestFactory(date_of_birth=datetime.date(1965, 1, 1))
        url = reverse("staff:queue")
        assert refs(client.get(url + "?patient_age=18-29")) == [still_29.reference]
        assert refs(client.get(url + "?patient_age=30-44")) == [turned_30_today.reference]
        assert refs(client.get(url + "?patient_age=60%2B")) == [sixty_one.reference]
