"""A patient who chooses text messages must give a number that can receive them.

Numbers are judged by libphonenumber from their shape: a US number may be
either kind (FIXED_LINE_OR_MOBILE), a UK 020 number is a landline, a UK 07400
number a mobile.
"""

import html

import phonenumbers
import pytest

from consultations.forms import LANDLINE_FOR_TEXTS, NOT_TEXTABLE, text_message_problem
from consultations.models import ConsultationRequest
from tests.images import jpeg_upload
from tests.submission import MOBILE, PATIENT, submit
from uploads.models import HeldUpload

pytestmark = pytest.mark.django_db

US_NUMBER = "+1 202 555 0123"
UK_LANDLINE = "+44 20 7946 0958"
UK_MOBILE = MOBILE
US_TOLL_FREE = "+1 800 555 0123"


def shown(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        (US_NUMBER, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE),
        (UK_LANDLINE, phonenumbers.PhoneNumberType.FIXED_LINE),
        (UK_MOBILE, phonenumbers.PhoneNumberType.MOBILE),
        (US_TOLL_FREE, phonenumbers.PhoneNumberType.TOLL_FREE),
    ],
)
def test_the_numbers_used_here_are_what_libphonenumber_says(number, kind):
    assert phonenumbers.number_type(phonenumbers.parse(number)) == kind


@pytest.mark.parametrize("number", [US_NUMBER, UK_MOBILE])
def test_a_number_that_can_take_texts_is_accepted(client, number):
    response = submit(client, [jpeg_upload()], preferred_contact="sms", phone=number)
    assert response.status_code == 302
    consultation = ConsultationRequest.objects.get()
    assert consultation.preferred_contact == "sms"
    assert consultation.phone == phonenumbers.parse(number)


def test_a_landline_for_texts_is_refused_on_the_phone_field_keeping_every_answer(client):
    response = submit(
        client, [jpeg_upload("front.jpg")], preferred_contact="sms", phone=UK_LANDLINE
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"phone": [str(LANDLINE_FOR_TEXTS)]}
    page = shown(response)
    assert (
        "This looks like a landline, which can't receive text messages. Enter a mobile "
        "number, or choose email or a phone call."
    ) in page
    # What was typed and chosen is all still there, the photo too (kept).
    assert f'value="{UK_LANDLINE}"' in page
    assert PATIENT["first_name"] in page and PATIENT["email"] in page
    assert 'value="sms"' in page and form["preferred_contact"].value() == "sms"
    assert "Hollowing under both eyes" in page
    assert HeldUpload.objects.count() == 1
    assert ConsultationRequest.objects.count() == 0


def test_the_same_landline_is_fine_for_email_or_a_phone_call(client):
    assert submit(client, [jpeg_upload()], preferred_contact="phone").status_code == 302
    assert submit(client, [jpeg_upload()], preferred_contact="email").status_code == 302


def test_a_toll_free_number_for_texts_is_refused_in_general_words(client):
    response = submit(client, [jpeg_upload()], preferred_contact="sms", phone=US_TOLL_FREE)
    assert response.status_code == 200
    assert response.context["form"].errors == {"phone": [str(NOT_TEXTABLE)]}


def test_an_invalid_number_gets_the_invalid_number_message_only(client):
    # Ofcom's 07700 900xxx range for dramas is no real number to libphonenumber.
    response = submit(client, [jpeg_upload()], preferred_contact="sms", phone="+44 7700 900123")
    assert response.status_code == 200
    (message,) = response.context["form"].errors["phone"]
    assert message.startswith("Please enter a phone number we can call")


@pytest.mark.parametrize(
    "number",
    [
        "+44 56 1234 5678",  # UK VoIP
        "+44 70 1234 5678",  # UK personal (follow-me) number
    ],
)
def test_voip_and_personal_numbers_may_take_texts_so_they_are_accepted(number):
    phone = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(phone)
    assert text_message_problem(phone) is None
