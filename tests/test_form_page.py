"""The request form's fields, rendered once per language for fresh visitors
(consultations/form_page.py): the same page as rendering them every time."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from consultations import form_page
from consultations.forms import ConsultationRequestForm
from consultations.photo_uploads import photo_limits
from tests.submission import PATIENT

pytestmark = pytest.mark.django_db

FORM_URL = reverse("consultations:request_new")


@pytest.fixture(autouse=True)
def nothing_remembered():
    form_page._fresh.clear()
    yield
    form_page._fresh.clear()


def without_request_values(html: str) -> str:
    """The page minus what differs between two visitors: the CSRF token and the key."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="submission_key" value="[^"]+"', "", html)


def fields_rendered(form, **flags) -> str:
    request = RequestFactory().get(FORM_URL)
    context = {"form": form, "photo_limits": photo_limits(), **flags}
    return form_page.request_form_fields(request, form, context)


def test_a_fresh_form_is_the_same_page_from_the_remembered_fields(client):
    first = client.get(FORM_URL).content.decode()
    assert list(form_page._fresh) == [translation.get_language()]
    client.cookies.clear()
    second = client.get(FORM_URL).content.decode()

    assert without_request_values(first) == without_request_values(second)
    # And the same as drawing them anew, field by field.
    form = ConsultationRequestForm(initial={"submission_key": "x"})
    drawn = form_page.render_to_string(
        form_page.TEMPLATE,
        {"form": form, "photo_limits": photo_limits()},
        RequestFactory().get(FORM_URL),
    )
    assert drawn in second
    assert second.count('<option value="GB">United Kingdom</option>') == 1


def test_each_language_has_its_own_copy():
    form = ConsultationRequestForm(initial={"submission_key": "x"})
    english = fields_rendered(form)
    with translation.override("de"):
        german = fields_rendered(form)
    assert set(form_page._fresh) == {"en", "de"}
    # django-countries translates its names: the German copy is not the English one.
    assert "Vereinigtes Königreich" in german
    assert "Vereinigtes Königreich" not in english


def test_typed_values_a_bound_form_and_notices_are_drawn_every_time():
    typed = ConsultationRequestForm(initial={"submission_key": "x", "first_name": "Imogen"})
    assert "Imogen" in fields_rendered(typed)
    bound = ConsultationRequestForm({**PATIENT, "first_name": "Ottilie"})
    assert "Ottilie" in fields_rendered(bound)
    fresh = ConsultationRequestForm(initial={"submission_key": "x"})
    assert "photos-again" in fields_rendered(fresh, csrf_failed=True)
    assert "photos-again" in fields_rendered(fresh, rate_limited=True)
    assert form_page._fresh == {}
    assert "photos-again" not in fields_rendered(fresh)


def test_a_changed_setting_is_shown(client, settings):
    client.get(FORM_URL)
    settings.PORTAL_MAX_PHOTOS = 3
    html = client.get(FORM_URL).content.decode()
    assert 'data-max-photos="3"' in html
    assert "You can send up to 3 in all." in html


def test_a_spanish_and_an_english_browser_each_get_their_own_fields(client):
    spanish = client.get(FORM_URL, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    client.cookies.clear()
    english = client.get(FORM_URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.cookies.clear()
    spanish_again = client.get(FORM_URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert set(form_page._fresh) == {"es", "en"}
    with translation.override("es"):
        about_you = translation.gettext("About you")
    assert about_you != "About you"
    assert about_you in spanish and about_you in spanish_again
    assert about_you not in english and "About you" in english
    assert without_request_values(spanish) == without_request_values(spanish_again)
