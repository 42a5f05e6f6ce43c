"""What a browser sends again never makes a second request or a second answer.

Back after sending restores the whole form: its values, its files and,
because the page is fetched again, whatever submission key the server
renders. These tests post what such a browser posts.
"""

import pytest
from django.test import Client
from django.urls import reverse

from consultations.models import ConsultationRequest, InformationRequest, Status
from consultations.status_links import status_path
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload
from tests.staff import coordinator
from tests.submission import PATIENT, form_data, submit

pytestmark = pytest.mark.django_db

FORM = reverse("consultations:request_new")


def rendered_key(client) -> str:
    return str(client.get(FORM).context["form"].initial["submission_key"])


def test_back_then_send_lands_on_the_request_already_made(client):
    first_key = rendered_key(client)
    sent = submit(client, [jpeg_upload()], submission_key=first_key)
    assert sent.status_code == 302
    consultation = ConsultationRequest.objects.get()

    # Back: the browser fetches the form again and refills it.
    again = client.get(FORM)
    assert str(again.context["form"].initial["submission_key"]) == first_key
    page = again.content.decode()
    assert f'You sent request <span class="reference">{consultation.reference}</span>' in page
    assert status_path(consultation) in page

    resent = submit(client, [jpeg_upload()], submission_key=rendered_key(client))
    assert resent.status_code == 302
    assert resent["Location"] == status_path(consultation)
    assert ConsultationRequest.objects.count() == 1
    status_page = client.get(resent["Location"]).content.decode()
    assert "You had already sent this request; nothing was sent twice." in status_page


def test_a_used_key_answers_without_photos_or_valid_values(client):
    key = rendered_key(client)
    submit(client, [jpeg_upload()], submission_key=key)
    # Browsers do not always restore the chosen files: the key alone decides.
    resent = client.post(FORM, form_data(submission_key=key, first_name=""))
    assert resent.status_code == 302
    assert resent["Location"] == status_path(ConsultationRequest.objects.get())
    assert ConsultationRequest.objects.count() == 1


def test_another_browser_sending_the_same_key_gets_the_same_request(client):
    key = rendered_key(client)
    submit(client, [jpeg_upload()], submission_key=key)
    other = Client()
    resent = submit(other, [jpeg_upload()], submission_key=key)
    assert resent["Location"] == status_path(ConsultationRequest.objects.get())
    assert ConsultationRequest.objects.count() == 1


def test_the_patient_can_choose_to_start_a_different_request(client):
    first_key = rendered_key(client)
    submit(client, [jpeg_upload()], submission_key=first_key)
    client.post(reverse("consultations:request_another"))
    fresh = client.get(FORM)
    assert str(fresh.context["form"].initial["submission_key"]) != first_key
    assert "a moment ago" not in fresh.content.decode()
    submit(client, [jpeg_upload()], submission_key=rendered_key(client))
    assert ConsultationRequest.objects.count() == 2


def test_a_failed_form_keeps_the_session_key_for_the_next_attempt(client):
    key = rendered_key(client)
    refused = submit(client, [jpeg_upload()], submission_key=key, email="not an email")
    assert refused.status_code == 200
    assert ConsultationRequest.objects.count() == 0
    assert submit(client, [jpeg_upload()], submission_key=key).status_code == 302
    assert ConsultationRequest.objects.count() == 1


# --- The patient's reply -------------------------------------------------------


def asked(case, text="Please add a left profile photo."):
    question = InformationRequest.objects.create(
        consultation=case,
        asked_by=coordinator(f"asker{case.information_requests.count()}"),
        question=text,
    )
    ConsultationRequest.objects.filter(pk=case.pk).update(status=Status.AWAITING_PATIENT)
    return question


def reply(client, case, question, answer, photos=()):
    return client.post(
        status_path(case),
        {"question": question.pk, "answer": answer, "photos": list(photos)},
    )


def test_a_reply_sent_twice_is_stored_once(client):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    question = asked(case)
    page = client.get(status_path(case)).content.decode()
    assert f'name="question" value="{question.pk}"' in page

    assert reply(client, case, question, "Here it is.", [jpeg_upload()]).status_code == 302
    again = reply(client, case, question, "Here it is.", [jpeg_upload()])
    assert again.status_code == 302
    assert "nothing was sent twice" in client.get(again["Location"]).content.decode()
    assert case.photos.count() == 1
    assert case.status_changes.filter(to_status=Status.IN_TRIAGE).count() == 1


def test_an_old_reply_sent_again_does_not_answer_a_newer_question(client):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    first = asked(case, "A left profile, please.")
    reply(client, case, first, "Attached.", [jpeg_upload()])
    second = asked(case, "And the right profile?")

    # Back to the first answer's page, then Send again.
    resent = reply(client, case, first, "Attached.", [jpeg_upload()])
    assert resent.status_code == 302
    second.refresh_from_db()
    assert second.answered_at is None and second.answer == ""
    assert case.photos.count() == 1
    assert "And the right profile?" in client.get(resent["Location"]).content.decode()


# --- A refused CSRF check --------------------------------------------------------


def test_a_refused_form_is_shown_again_with_what_was_typed(client):
    browser = Client(enforce_csrf_checks=True)
    browser.get(FORM)
    # The cookie is gone (blocked, cleared, expired): the post carries no token.
    browser.cookies.clear()
    refused = submit(browser, [jpeg_upload()], submission_key=rendered_key(client))
    page = refused.content.decode()
    assert refused.status_code == 403
    assert "Nothing was sent yet" in page
    assert f'value="{PATIENT["first_name"]}"' in page
    assert PATIENT["symptoms"] in page
    assert 'name="consent_privacy" required id="id_consent_privacy" checked' in page
    assert ConsultationRequest.objects.count() == 0

    # The page carries a fresh token and cookie: sending once more works.
    token = refused.context["csrf_token"]
    data = {**form_data(submission_key=rendered_key(client)), "csrfmiddlewaretoken": str(token)}
    data["photos"] = [jpeg_upload()]
    assert browser.post(FORM, data).status_code == 302
    assert ConsultationRequest.objects.count() == 1


def test_a_refused_reply_is_shown_again_with_the_answer(client):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    question = asked(case)
    browser = Client(enforce_csrf_checks=True)
    refused = reply(browser, case, question, "My left side, attached.", [jpeg_upload()])
    page = refused.content.decode()
    assert refused.status_code == 403
    assert "Nothing was sent yet" in page
    assert "My left side, attached." in page
    assert f'name="question" value="{question.pk}"' in page
    question.refresh_from_db()
    assert question.answered_at is None


def test_a_refused_staff_post_gets_the_portals_page(client):
    refused = Client(enforce_csrf_checks=True).post(
        reverse("account_login"), {"login": "x", "password": "y"}
    )
    page = refused.content.decode()
    assert refused.status_code == 403
    assert "Please try that again" in page
    assert 'href="/staff/"' in page
