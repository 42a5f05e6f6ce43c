"""A patient who reads Spanish, in Chromium, on the portal as the clinic runs it.

The browser prefers Spanish (Playwright's locale sets Accept-Language): the
form, a mistake, sending, the status page, the clinic's question and the
answer are all in Spanish; the status link opened later on a device that
prefers English is still Spanish; the switch turns the pages (and the
messages that follow) to English. Screenshots of the Spanish pages at 390 px
and 1280 px are in test-artifacts/ (patient-es-*).
"""

import re

import pytest

from consultations.models import ConsultationRequest
from consultations.status_links import status_path
from tests.browser import PHONE, Person, assert_accessible, link_in
from tests.case_steps import asked
from tests.factories import ConsultationRequestFactory
from tests.images import FIXTURES
from tests.notify_support import assert_no_phi, mail_files_messages, message_texts, wait_for
from tests.submission import MOBILE, PATIENT

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WIDE = {"viewport": {"width": 1280, "height": 900}}
QUESTION = "¿Podría enviar una foto de su perfil izquierdo, por favor?"
ANSWER = "Aquí está mi perfil izquierdo, tomado esta mañana junto a una ventana."


@pytest.fixture
def people(portal, chromium):
    opened = []

    def person(name: str, device: dict, locale: str, **context_args) -> Person:
        opened.append(Person(chromium, portal.url, name, device, locale=locale, **context_args))
        return opened[-1]

    yield person
    for one in opened:
        one.close()


def fill_form_in_spanish(page) -> None:
    """Every field by its Spanish label, except the consent to be contacted."""
    page.get_by_label("Nombre", exact=True).fill(PATIENT["first_name"])
    page.get_by_label("Apellidos").fill(PATIENT["last_name"])
    page.get_by_label("Dirección de correo electrónico").fill(PATIENT["email"])
    page.get_by_label("Número de teléfono").fill(MOBILE)
    page.get_by_label("Mensaje de texto").check()
    page.get_by_label("Fecha de nacimiento").fill("1990-02-14")
    page.get_by_label("País donde vive").select_option("MX")
    page.get_by_label("Estado, provincia o región").fill("Jalisco")
    page.get_by_label("Debajo de los ojos / ojeras hundidas").check()
    page.get_by_label("¿Qué ha notado y desde cuándo?").fill(PATIENT["symptoms"])
    page.get_by_label("¿Qué le gustaría lograr?").fill(PATIENT["goals"])
    page.get_by_label("Peeling de carbón", exact=True).check()
    page.get_by_label("Fecha aproximada del tratamiento: Peeling de carbón").fill("2026-09")
    page.get_by_label("He leído el aviso de privacidad.").check()
    page.get_by_label("Acepto que la clínica guarde mis fotos para una evaluación médica.").check()


def patient_email(portal, subject_words: str) -> tuple[str, str, str]:
    def find():
        for message in mail_files_messages(portal.mail_dir):
            subject, text, html = message_texts(message)
            if message["To"] == PATIENT["email"] and re.search(subject_words, subject):
                return subject, text, html
        return None

    try:
        found = wait_for(find, timeout=30, what=f"the email '{subject_words}'")
    except AssertionError as missing:
        sent = [(m["To"], str(m["Subject"])) for m in mail_files_messages(portal.mail_dir)]
        raise AssertionError(f"{missing}; sent: {sent}") from None
    assert_no_phi(*found)
    return found


def test_a_spanish_speaking_patient_reads_every_step_in_spanish(
    portal, people, axe_script, coordinator_user
):
    # bypass_csp: axe-core is injected as a script, which the pages' policy refuses.
    # The other contexts below keep the policy, and fail on any violation.
    patient = people("patient-es", PHONE, "es-ES", bypass_csp=True)
    page = patient.page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("heading", name="Solicite una consulta virtual").wait_for()
    switch = page.get_by_role("form", name="Idioma")
    assert switch.get_by_role("button", name="Español").get_attribute("aria-pressed") == "true"
    assert switch.get_by_role("button", name="English").get_attribute("lang") == "en"
    patient.step("01-form")
    assert_accessible(page, axe_script)
    assert_no_sideways_scroll(page)

    # A mistake: the consent to be contacted is left unticked.
    fill_form_in_spanish(page)
    page.get_by_label("Otras fotos").set_input_files([FIXTURES / "DSCN0010.jpg"])
    page.locator("[data-state=uploaded]").wait_for()
    patient.step("02-form-filled")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    summary = page.locator("#error-summary")
    summary.get_by_role("heading", name="Revise 1 respuesta").wait_for()
    assert summary.get_by_text(
        "Necesitamos su autorización para contactarle sobre su solicitud."
    ).is_visible()
    assert page.get_by_label("Apellidos").input_value() == PATIENT["last_name"]
    patient.step("03-form-error")
    assert_accessible(page, axe_script)

    page.get_by_label("Acepto que me contacten sobre mi solicitud.").check()
    page.get_by_role("button", name="Enviar mi solicitud").click()
    reference = page.get_by_test_id("reference").inner_text()
    page.get_by_role("heading", name="Recibida").wait_for()
    assert page.get_by_text("Enviada el").is_visible()
    patient.step("04-sent")
    assert_accessible(page, axe_script)
    assert_no_sideways_scroll(page)
    consultation = ConsultationRequest.objects.get(reference=reference)
    assert consultation.language == "es"

    subject, text, _html = patient_email(portal, "Recibimos su solicitud de consulta")
    assert text.startswith("Gracias por su solicitud.")
    status_link = link_in(text, portal.url)

    # Later, on another device whose browser prefers English: still Spanish.
    elsewhere = people("patient-es-elsewhere", PHONE, "en-US")
    other = elsewhere.page
    other.goto(status_link)
    assert other.locator("html").get_attribute("lang") == "es"
    other.get_by_role("heading", name="Qué sigue").wait_for()
    elsewhere.step("05-status-on-an-english-browser")

    # The clinic asks; the question email and the reply form are in Spanish.
    consultation = asked(by=coordinator_user, case=consultation, question=QUESTION)
    subject, text, _html = patient_email(portal, "necesitamos un poco más")
    assert text.startswith("Hola:")
    other.reload()
    other.get_by_role("heading", name="La clínica le pregunta").wait_for()
    other.get_by_label("Su respuesta").fill(ANSWER)
    elsewhere.step("06-reply-form")
    other.get_by_role("button", name="Enviar mi respuesta").click()
    other.get_by_text("Gracias: su respuesta llegó a la clínica.").wait_for()
    elsewhere.step("07-reply-sent")

    # The switch: English from now on, for the pages and the messages after them.
    other.get_by_role("form", name="Idioma").get_by_role("button", name="English").click()
    other.get_by_role("heading", name="What happens next").wait_for()
    assert other.locator("html").get_attribute("lang") == "en"
    elsewhere.step("08-status-switched-to-english")
    consultation.refresh_from_db()
    assert consultation.language == "en"


def test_the_switch_on_the_form_turns_it_to_english_and_back(people):
    patient = people("patient-es-switch", PHONE, "es-ES")
    page = patient.page
    page.goto("/")
    # Answers typed before switching come back (this tab only; never photos).
    page.get_by_label("Nombre", exact=True).fill(PATIENT["first_name"])
    page.get_by_label("Mensaje de texto").check()
    page.get_by_label("¿Qué ha notado y desde cuándo?").fill(PATIENT["symptoms"])
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Request a virtual consultation").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "true"
    assert page.get_by_label("First name").input_value() == PATIENT["first_name"]
    assert page.get_by_label("Text message").is_checked()
    assert (
        page.get_by_label("What have you noticed, and since when?").input_value()
        == PATIENT["symptoms"]
    )
    # Put back once: nothing stays in the tab's storage.
    assert page.evaluate("window.sessionStorage.length") == 0
    patient.step("01-form-switched-to-english")
    page.get_by_role("button", name="Español").click()
    page.get_by_role("heading", name="Solicite una consulta virtual").wait_for()
    # Production cookies (the language's too) are Secure; Chromium keeps them on localhost.
    assert all(cookie["secure"] for cookie in patient.context.cookies())


def test_the_spanish_pages_at_a_desk_width(people, portal, axe_script):
    """The same pages at 1280 px: long Spanish words must not break the layout."""
    desk = people("patient-es", WIDE, "es-ES", bypass_csp=True)
    page = desk.page
    page.goto("/")
    page.get_by_role("heading", name="Solicite una consulta virtual").wait_for()
    desk.step("01-form")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    page.locator("#error-summary").wait_for()
    desk.step("03-form-error")
    assert_accessible(page, axe_script)
    assert_no_sideways_scroll(page)

    consultation = ConsultationRequestFactory(language="es")
    page.goto(status_path(consultation))
    page.get_by_role("heading", name="Qué sigue").wait_for()
    desk.step("04-status")
    assert_no_sideways_scroll(page)


def assert_no_sideways_scroll(page) -> None:
    """No element wider than the window: long Spanish words wrap instead."""
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
