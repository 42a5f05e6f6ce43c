"""What the pages say: outcomes, next steps, counts, the clinic's contact, the summary."""

import html as html_module
import re

import pytest
from django.urls import reverse

from consultations import case_changes
from consultations.models import ConsultationRequest, Outcome, Status
from consultations.status_links import status_path
from tests.case_steps import asked, in_triage
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes, jpeg_upload
from tests.photos import stored_photo
from tests.staff import signed_in
from tests.submission import form_data

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize(
    ("outcome", "says"),
    [
        (Outcome.CONSULTATION_BOOKED, "your consultation is booked"),
        (Outcome.DECLINED_BY_CLINIC, "the clinic cannot offer a consultation"),
        (Outcome.DECLINED_BY_PATIENT, "Closed at your request"),
        (Outcome.NO_RESPONSE, "we did not hear back from you"),
    ],
)
def test_the_closed_page_states_the_outcome_and_nothing_comes_next(
    client, coordinator_user, outcome, says
):
    case = in_triage(by=coordinator_user)
    case = case_changes.consultation_close(
        consultation=case,
        by=coordinator_user,
        outcome=outcome,
        note="internal reasoning",
        version=case.version,
    )
    page = text_of(client.get(status_path(case)))
    assert says in page
    assert "What happens next" not in page
    assert "A coordinator checks your request" not in page
    assert "internal reasoning" not in page


@pytest.mark.parametrize(
    ("status", "headline", "next_step"),
    [
        (Status.SUBMITTED, "Received", "A coordinator checks your request and photos."),
        (Status.IN_TRIAGE, "Being reviewed by our coordinator", "a surgeon reviews"),
        (Status.ROUTED, "With a surgeon", "The surgeon records a recommendation."),
        (Status.REVIEWED, "Review complete", "A coordinator contacts you"),
        (Status.SPAM, "Closed", None),
        (Status.DUPLICATE, "Closed: we already have your request", None),
    ],
)
def test_each_status_says_what_comes_next_or_nothing(client, status, headline, next_step):
    extra = {"duplicate_of": ConsultationRequestFactory()} if status == Status.DUPLICATE else {}
    case = ConsultationRequestFactory(status=status, **extra)
    page = text_of(client.get(status_path(case)))
    assert headline in page
    if next_step is None:
        assert "What happens next" not in page
    else:
        assert "What happens next" in page
        assert next_step in page
    if status != Status.SUBMITTED:
        assert "A coordinator checks your request and photos." not in page


def test_awaiting_the_patient_asks_for_an_answer_on_the_page(client, coordinator_user):
    page = text_of(client.get(status_path(asked(by=coordinator_user))))
    assert "We need a little more from you" in page
    assert "You answer the clinic's question on this page." in page
    assert "Send my answer" in page


def test_photos_sent_and_added_later_are_counted_apart(client, coordinator_user):
    case = in_triage(by=coordinator_user)
    for _ in range(3):
        stored_photo(image_bytes(), consultation=case)
    assert "with 3 photos. Quote" in text_of(client.get(status_path(case)))

    case = asked(by=coordinator_user, case=case)
    stored_photo(image_bytes(), consultation=case)
    page = text_of(client.get(status_path(case)))
    assert "with 3 photos; you added 1 more later." in page


@pytest.mark.parametrize(
    ("count", "note"),
    [(1, "The patient replied with 1 photo."), (2, "The patient replied with 2 photos.")],
)
def test_the_timeline_counts_photos_in_plain_words(client, coordinator_user, count, note):
    case = asked(by=coordinator_user)
    photos = [jpeg_upload(f"p{i}.jpg") for i in range(count)]
    response = client.post(
        status_path(case),
        {"question": case.information_requests.get().pk, "answer": "", "photos": photos},
    )
    assert response.status_code == 302
    signed_in(client, coordinator_user)
    page = text_of(client.get(reverse("staff:case_detail", args=[case.reference])))
    assert note in page
    assert "(s)" not in page


@pytest.mark.parametrize("typed", ["cr7k4mq2xp", "7K4M Q2XP", "CR-7K4M-Q2XP", " 7k4m-q2xp "])
def test_mark_as_duplicate_takes_a_reference_typed_as_search_takes_it(
    client, coordinator_user, typed
):
    original = ConsultationRequestFactory()
    ConsultationRequest.objects.filter(pk=original.pk).update(reference="CR-7K4M-Q2XP")
    case = in_triage(by=coordinator_user)
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "mark_duplicate"]),
        {"version": case.version, "original_reference": typed},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.duplicate_of_id) == (Status.DUPLICATE, original.pk)


def test_mark_as_duplicate_refuses_text_that_is_no_reference(client, coordinator_user):
    case = in_triage(by=coordinator_user)
    signed_in(client, coordinator_user)
    response = client.post(
        reverse("staff:case_action", args=[case.reference, "mark_duplicate"]),
        {"version": case.version, "original_reference": "last week's"},
    )
    assert response.status_code == 400
    assert "is not a reference" in response.content.decode()


def test_the_error_summary_reads_naturally_in_the_pages_order(client):
    data = form_data(first_name="", preferred_contact="", treatment_ipl_date="2020-01")
    data.pop("consent_contact")
    response = client.post(reverse("consultations:request_new"), data)
    html = response.content.decode()
    summary = html[
        html.index('id="error-summary"') : html.index("</ul>", html.index("error-summary__list"))
    ]
    assert "?:" not in summary and ".:" not in summary
    links = re.findall(r'href="#([^"]+)"', summary)
    assert links == [
        "id_first_name",
        "id_preferred_contact_0",
        "id_treatment_ipl",
        "id_photo_front",
        "id_consent_contact",
    ]
    # Each link's target comes in that order on the page too.
    positions = [html.index(f'id="{target}"') for target in links]
    assert positions == sorted(positions)


def test_the_photo_guide_recommends_five_and_gives_the_limit(client, settings):
    settings.PORTAL_MAX_PHOTOS = 6
    page = text_of(client.get(reverse("consultations:request_new")))
    assert "we recommend five photos" in page
    assert "You can send up to 6 in all." in page
    assert "up to five photos" not in page


def test_patient_pages_show_how_to_reach_the_clinic(client, settings, coordinator_user):
    settings.PORTAL_CLINIC_PHONE = "+1 202 555 0142"
    settings.PORTAL_CLINIC_EMAIL = "help@harbour.example"
    closed = in_triage(by=coordinator_user)
    closed = case_changes.consultation_close(
        consultation=closed,
        by=coordinator_user,
        outcome=Outcome.NO_RESPONSE,
        note="",
        version=closed.version,
    )
    pages = [
        client.get(reverse("consultations:request_new")),
        client.post(reverse("consultations:request_new"), form_data(first_name="")),
        client.get(reverse("consultations:received")),
        client.get(status_path(ConsultationRequestFactory())),
        client.get(status_path(asked(by=coordinator_user))),
        client.get(status_path(closed)),
        client.get("/no-such-page/"),
    ]
    for response in pages:
        html = response.content.decode()
        assert '<a href="tel:+12025550142">+1 202 555 0142</a>' in html, response.request
        assert '<a href="mailto:help@harbour.example">help@harbour.example</a>' in html
