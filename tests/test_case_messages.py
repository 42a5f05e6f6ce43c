"""The staff case page lists each message sent to the patient: which, by which
channel, when, and the outcome; never its content, address or number."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations.status_links import status_token
from notifications.models import Channel, Event, Notification, NotificationStatus, RecipientKind
from tests.browser import PHONE, Person, assert_accessible, sign_in
from tests.factories import ConsultationRequestFactory
from tests.staff import case_page_queries, signed_in
from tests.submission import MOBILE, PATIENT

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "case-messages"
SID = "SM" + "5" * 32
AT = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 15))


def message(case, event, channel, status, minutes, **fields) -> Notification:
    row = Notification.objects.create(
        consultation=case,
        event=event,
        channel=channel,
        recipient_kind=RecipientKind.PATIENT,
        status=status,
        **fields,
    )
    # created_at is auto_now_add: set it afterwards, for a known order and time.
    Notification.objects.filter(pk=row.pk).update(
        created_at=AT + datetime.timedelta(minutes=minutes)
    )
    return row


def case_with_messages():
    case = ConsultationRequestFactory(
        first_name=PATIENT["first_name"],
        email=PATIENT["email"],
        phone=MOBILE,
        preferred_contact="sms",
    )
    sent = AT + datetime.timedelta(minutes=1)
    confirmation = Event.REQUEST_CONFIRMATION
    more = Event.MORE_INFO_REQUESTED
    message(case, confirmation, Channel.EMAIL, NotificationStatus.SENT, 0, sent_at=sent)
    message(
        case,
        confirmation,
        Channel.SMS,
        NotificationStatus.SENT,
        0,
        sent_at=sent,
        provider_message_id=SID,
        provider_status="delivered",
    )
    message(case, more, Channel.EMAIL, NotificationStatus.PENDING, 60)
    message(case, more, Channel.SMS, NotificationStatus.FAILED, 61, last_error="SMS HTTP 400")
    message(case, more, Channel.SMS, NotificationStatus.UNCERTAIN, 62)
    message(case, more, Channel.SMS, NotificationStatus.CANCELLED, 63)
    message(case, more, Channel.SMS, NotificationStatus.SENT, 64, provider_status="undelivered")
    # To staff: not the patient's, not listed.
    Notification.objects.create(
        consultation=case,
        event=Event.REQUEST_SUBMITTED,
        channel=Channel.EMAIL,
        recipient_kind=RecipientKind.ADDRESS,
        recipient_address="inbox@clinic.example",
    )
    return case


def messages_block(html: str) -> str:
    match = re.search(
        r'<section class="card" aria-labelledby="messages-h">.*?</section>', html, re.S
    )
    assert match, "no messages block on the case page"
    return match.group(0)


def rows_of(block: str) -> list[str]:
    items = re.findall(r"<li>(.*?)</li>", block, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def case_page(client, case) -> str:
    response = client.get(reverse("staff:case_detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_lists_each_message_to_the_patient_with_channel_time_and_outcome(
    client, coordinator_user
):
    case = case_with_messages()
    signed_in(client, coordinator_user)

    block = messages_block(case_page(client, case))

    assert rows_of(block) == [
        "30 Nov 2026 09:16 Request received · Email Sent",
        "30 Nov 2026 09:16 Request received · Text message Delivered",
        "30 Nov 2026 10:15 More information needed · Email Pending",
        "30 Nov 2026 10:16 More information needed · Text message Failed",
        "30 Nov 2026 10:17 More information needed · Text message Maybe sent",
        "30 Nov 2026 10:18 More information needed · Text message Not sent",
        "30 Nov 2026 10:19 More information needed · Text message Not delivered",
    ]
    # Never the content, the address or number, the link or the provider's id.
    for secret in [
        PATIENT["email"],
        "inbox@clinic.example",
        MOBILE,
        "7400",
        SID,
        status_token(case),
        "Follow it here",
        "SMS HTTP",
    ]:
        assert secret not in block


def test_a_case_without_messages_says_so(client, coordinator_user):
    signed_in(client, coordinator_user)
    block = messages_block(case_page(client, ConsultationRequestFactory()))
    assert "None yet." in block


def test_the_list_costs_one_query_however_many_messages(client, coordinator_user):
    none = ConsultationRequestFactory()
    many = case_with_messages()
    signed_in(client, coordinator_user)
    counted = case_page_queries(client, [none, many])

    assert counted[0] == counted[1], counted


# --- Looked at in Chromium: screenshots in test-artifacts/case-messages/ --------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "device", [PHONE, {"viewport": {"width": 1280, "height": 900}}], ids=["390", "1280"]
)
def test_the_messages_on_the_case_page_in_chromium(
    portal, chromium, axe_script, coordinator_user, device
):
    case = case_with_messages()
    # bypass_csp: the pages allow no inline script, and axe is injected as one.
    person = Person(chromium, portal.url, "case-messages", device, bypass_csp=True)
    try:
        sign_in(person, coordinator_user.username)
        person.page.goto(reverse("staff:case_detail", args=[case.reference]))
        block = person.page.locator("#messages-h").locator("..")
        block.scroll_into_view_if_needed()
        assert block.locator("li").count() == 7
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        width = device["viewport"]["width"]
        block.screenshot(path=ARTIFACTS / f"messages-{width}.png")
        person.page.screenshot(path=ARTIFACTS / f"case-{width}.png", full_page=True)
        assert_accessible(person.page, axe_script)
        person.check()
    finally:
        person.close()
