"""Patients read every page and message in English or Spanish; staff read English.

The catalogue (locale/es/LC_MESSAGES/django.po) is checked two ways: every
string extracted from a patient-facing file has a Spanish translation, and
the pages and messages a Spanish-speaking patient gets, rendered in full, carry
no English sentence (which finds a string nobody marked for translation).
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from consultations.models import ConsultationRequest, Outcome, Status
from consultations.status_links import status_language_path, status_path
from notifications.events import notify_more_info_requested, notify_request_submitted
from tests.case_steps import asked
from tests.conftest import service_missing
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload, upload
from tests.notify_support import assert_no_phi
from tests.staff import administrator, coordinator, signed_in
from tests.submission import PATIENT, form_data, submit

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}

# What a patient reads: pages, their parts, their emails and text messages,
# and the Python that words the form, its checks and the status texts.
PATIENT_FACING = (
    "templates/base.html",
    "templates/consultations/",
    "templates/includes/",
    "templates/400.html",
    "templates/403.html",
    "templates/403_csrf.html",
    "templates/404.html",
    "templates/413.html",
    "templates/500.html",
    "templates/emails/base-body.html",
    "templates/emails/contact-footer.txt",
    "templates/emails/request_confirmation-",
    "templates/emails/more_info_requested-",
    "templates/sms/",
    "consultations/forms.py",
    "consultations/models.py",
    "consultations/patient_status.py",
    "consultations/photo_uploads.py",
    "consultations/views.py",
    "consultations/csrf_failure.py",
    "uploads/validation.py",
)
# Not sources: installed packages, build output, tests and benchmarks.
NOT_SOURCES = [".venv", "var", "node_modules", "tests", "bench", "test-artifacts", ".git"]


# --- The catalogue --------------------------------------------------------------------


def _extracted_catalogue(tmp_path: Path) -> polib.POFile:
    """makemessages over a copy of the project, merged with the committed catalogue.

    A copy, so the run never rewrites the real catalogue; merged, so a string
    that changed since it was translated comes back empty or fuzzy.
    """
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        service_missing("GNU gettext", "xgettext/msgmerge not found (apt-get install gettext)")
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCES, "*.mo", "*.pyc"))
    env = {**os.environ, "DJANGO_DEBUG": "true", "PORTAL_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "manage.py", "makemessages", "-l", "es", "-e", "html,txt,py"]
    command += [f"--ignore={name}" for name in NOT_SOURCES] + ["--add-location=file"]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True)
    return polib.pofile(str(copy / CATALOGUE.relative_to(ROOT)))


def test_every_patient_facing_string_has_a_spanish_translation(tmp_path):
    extracted = _extracted_catalogue(tmp_path)
    patient_entries = [
        entry
        for entry in extracted
        if not entry.obsolete
        and any(path.startswith(PATIENT_FACING) for path, _line in entry.occurrences)
    ]
    # The extraction found the patient's strings at all (a broken run finds none).
    assert len(patient_entries) > 200
    untranslated = [
        f"{entry.occurrences[0][0]}: {entry.msgid[:70]!r}"
        for entry in patient_entries
        if "fuzzy" in entry.flags or not entry.translated()
    ]
    assert not untranslated, (
        "Strings without a Spanish translation (README, 'Languages', says how to add them):\n"
        + "\n".join(untranslated)
    )


def test_the_catalogue_is_well_formed_and_its_placeholders_match():
    if not shutil.which("msgfmt"):
        service_missing("GNU gettext", "msgfmt not found (apt-get install gettext)")
    # --check: every %(name)s and {name} of an English string is in its translation.
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(CATALOGUE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    catalogue = polib.pofile(str(CATALOGUE))
    for entry in catalogue.translated_entries():
        braces = set(re.findall(r"\{\w+\}", entry.msgid))
        assert braces == set(re.findall(r"\{\w+\}", entry.msgstr)), entry.msgid


def test_the_compiled_catalogue_is_up_to_date():
    """The .mo Django reads says what the .po says (scripts/_uv.sh compiles it)."""
    compiled_path = CATALOGUE.with_suffix(".mo")
    assert compiled_path.exists(), "run ./scripts/test or manage.py compilemessages"
    source = polib.pofile(str(CATALOGUE))
    compiled = polib.mofile(str(compiled_path))

    def translations(catalogue) -> dict:
        # msgfmt leaves out fuzzy and empty translations; the header has no msgid.
        return {
            (entry.msgctxt, entry.msgid): entry.msgstr or dict(entry.msgstr_plural)
            for entry in catalogue
            if entry.msgid
            and (entry.msgstr or any(entry.msgstr_plural.values()))
            and "fuzzy" not in entry.flags
            and not entry.obsolete
        }

    assert translations(compiled) == translations(source), "compile the catalogue again"


# --- English words where Spanish should be --------------------------------------------

# Words of almost every English sentence and of no Spanish one.
ENGLISH_WORDS = {
    "the",
    "your",
    "you",
    "please",
    "and",
    "with",
    "photo",
    "photos",
    "request",
    "we",
    "our",
    "this",
    "send",
    "not",
    "is",
    "are",
    "of",
    "to",
}


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_spanish(text: str, where: str) -> None:
    # The clinic's name and contact details are the clinic's, in any language.
    text = text.replace(settings.PORTAL_CLINIC_NAME, " ").replace(settings.PORTAL_CLINIC_EMAIL, "")
    words = {word.lower() for word in re.findall(r"[A-Za-z]+", text)}
    english = sorted(words & ENGLISH_WORDS)
    assert not english, f"{where}: English words {english} in {' '.join(text.split())[:3000]}"


def widget_texts(page: str) -> str:
    found = re.search(r'data-texts="([^"]*)"', page)
    assert found, "no data-texts on the page"
    return " ".join(json.loads(html.unescape(found.group(1))).values())


def test_the_form_its_errors_and_the_upload_widget_speak_spanish(client):
    page = client.get("/", **SPANISH).content.decode()
    assert '<html lang="es">' in page
    assert "Solicite una consulta virtual" in page
    assert_spanish(visible_text(page), "the form")
    assert_spanish(widget_texts(page), "the upload widget's words")

    # Everything wrong at once: each field's message, Django's own ones too.
    refused = client.post(
        "/",
        {
            "submission_key": "5f3a0c1e-7a52-4a8e-9bd4-d08b2a4c4a11",
            "email": "not-an-address",
            "phone": "12",
            "date_of_birth": "2090-01-01",
            "treatment_fillers_date": "2099-01",
            "treatment_other": "on",
            "photos": [upload("notes.jpg", b"not a photo at all")],
        },
        **SPANISH,
    ).content.decode()
    assert "Revise" in refused and "Introduzca una dirección de correo electrónico" in refused
    assert "«notes.jpg» no es una foto que podamos leer" in refused
    assert_spanish(visible_text(refused), "the form with errors")


def test_the_form_is_english_for_an_english_browser_and_for_one_that_says_nothing(client):
    for headers in (ENGLISH, {}):
        page = client.get("/", **headers).content.decode()
        assert '<html lang="en">' in page
        assert "Request a virtual consultation" in page
        assert "What would you like to achieve?" in page


@pytest.mark.parametrize(
    ("status", "outcome", "headline"),
    [
        (Status.SUBMITTED, "", "Recibida"),
        (Status.IN_TRIAGE, "", "Nuestro coordinador la está revisando"),
        (Status.ROUTED, "", "Con un cirujano"),
        (Status.REVIEWED, "", "Revisión terminada"),
        (Status.CLOSED, Outcome.CONSULTATION_BOOKED, "Cerrada: su consulta está programada"),
        (Status.CLOSED, Outcome.NO_RESPONSE, "Cerrada: no recibimos respuesta de usted"),
        (Status.SPAM, "", "Cerrada"),
        (Status.DUPLICATE, "", "Cerrada: ya tenemos su solicitud"),
    ],
)
def test_the_status_page_is_in_the_request_s_language_whatever_the_browser(
    client, status, outcome, headline
):
    original = ConsultationRequestFactory() if status == Status.DUPLICATE else None
    consultation = ConsultationRequestFactory(
        status=status, outcome=outcome, duplicate_of=original, language="es"
    )
    # A browser that prefers English: the patient chose Spanish when they sent it.
    page = client.get(status_path(consultation), **ENGLISH).content.decode()
    assert '<html lang="es">' in page
    assert f'class="status-headline">{headline}</h2>' in page
    assert_spanish(visible_text(page), f"the status page ({status})")


def test_the_question_and_reply_form_are_spanish(client):
    user = coordinator()
    consultation = asked(
        by=user,
        case=ConsultationRequestFactory(language="es"),
        question="¿Puede enviar un perfil?",
    )
    page = client.get(status_path(consultation), **ENGLISH).content.decode()
    assert "La clínica le pregunta" in page and "Enviar mi respuesta" in page
    assert_spanish(visible_text(page), "the status page with a question")
    assert_spanish(widget_texts(page), "the reply's upload widget")

    refused = client.post(
        status_path(consultation),
        {"question": consultation.information_requests.get().pk, "answer": ""},
        **ENGLISH,
    ).content.decode()
    assert "Escriba una respuesta o agregue al menos una foto." in refused
    assert_spanish(visible_text(refused), "the reply with an error")


def test_the_pages_after_sending_and_the_error_pages_are_spanish(client, rf):
    assert_spanish(
        visible_text(client.get(reverse("consultations:received"), **SPANISH).content.decode()),
        "the received page",
    )
    missing = client.get("/no-such-page/", **SPANISH)
    assert missing.status_code == 404
    assert_spanish(visible_text(missing.content.decode()), "the 404 page")

    ended = ConsultationRequestFactory(
        language="es", status=Status.CLOSED, outcome=Outcome.DECLINED_BY_PATIENT
    )
    ended.erased_at = ended.created_at
    ended.save(update_fields=["erased_at"])
    closed = client.get(status_path(ended), **ENGLISH).content.decode()
    assert "Esta solicitud está cerrada" in closed
    assert_spanish(visible_text(closed), "the ended status link")

    # 413 answers from a middleware that runs after the language is chosen.
    too_large = client.post(
        "/",
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(settings.PORTAL_MAX_REQUEST_BYTES + 1),
        **SPANISH,
    )
    assert too_large.status_code == 413
    assert_spanish(visible_text(too_large.content.decode()), "the 413 page")

    with translation.override("es"):
        for template, context in [
            ("400.html", {"reason": "too_many_files", "max_photos": 8}),
            ("400.html", {"reason": "file_name_too_long"}),
            ("400.html", {"reason": "unreadable"}),
            ("403.html", {}),
            ("403_csrf.html", {"start_path": "/"}),
            ("500.html", {}),
            ("consultations/status_unavailable.html", {"reply_not_sent": True}),
            ("consultations/status_unavailable.html", {}),
        ]:
            page = render_to_string(template, context, request=rf.get("/"))
            assert '<html lang="es">' in page, template
            assert_spanish(visible_text(page), template)


# --- Stored with the request ------------------------------------------------------------


def test_the_language_is_stored_with_the_request_it_was_sent_in(client, private_root):
    assert submit(client, [jpeg_upload()]).status_code == 302
    assert ConsultationRequest.objects.get().language == "en"

    response = client.__class__().post(
        reverse("consultations:request_new"), {**form_data(), "photos": [jpeg_upload()]}, **SPANISH
    )
    assert response.status_code == 302
    assert ConsultationRequest.objects.latest("created_at").language == "es"


def test_the_switch_on_the_status_page_keeps_the_choice_for_later_messages(client):
    consultation = ConsultationRequestFactory(language="es")
    page = client.get(status_path(consultation), **ENGLISH).content.decode()
    # The switch posts to the status page's own address, with the CSRF token.
    assert f'action="{status_language_path(consultation)}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'lang="en"' in page and 'aria-pressed="true">Español</button>' in page

    response = client.post(status_language_path(consultation), {"language": "en"})
    assert response.status_code == 302 and response["Location"] == status_path(consultation)
    consultation.refresh_from_db()
    assert consultation.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(status_path(consultation), **SPANISH).content.decode()
    assert '<html lang="en">' in page and "What happens next" in page

    # Anything but a language we offer changes nothing.
    client.post(status_language_path(consultation), {"language": "fr"})
    consultation.refresh_from_db()
    assert consultation.language == "en"


def test_the_switch_on_the_form_sets_the_language_for_the_next_pages(client):
    page = client.get("/", **ENGLISH).content.decode()
    assert f'action="{reverse("consultations:language")}"' in page
    response = client.post(reverse("consultations:language"), {"language": "es", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["httponly"]
    page = client.get("/", **ENGLISH).content.decode()
    assert '<html lang="es">' in page and "Enviar mi solicitud" in page


def test_a_photo_sent_in_the_background_is_refused_in_the_page_s_language(client):
    answer = client.post(
        reverse("consultations:photo_upload"),
        {
            "submission_key": "5f3a0c1e-7a52-4a8e-9bd4-d08b2a4c4a11",
            "slot": "front",
            "photo": upload("notes.jpg", b"not a photo at all"),
            # The status page's language, which may differ from the browser's.
            "language": "es",
        },
        **ENGLISH,
    ).json()
    assert answer["error"].startswith("«notes.jpg» no es una foto que podamos leer")


# --- The patient's messages ---------------------------------------------------------------


def _patient_mail(consultation):
    return [message for message in mail.outbox if message.to == [consultation.email]]


def test_the_confirmation_and_the_question_email_are_in_the_request_s_language(
    django_capture_on_commit_callbacks,
):
    user = coordinator()
    consultation = ConsultationRequestFactory(
        language="es",
        first_name=PATIENT["first_name"],
        last_name=PATIENT["last_name"],
        email=PATIENT["email"],
        phone=PATIENT["phone"],
        symptoms=PATIENT["symptoms"],
        goals=PATIENT["goals"],
    )
    # Delivered by a worker whose own language is English.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(consultation)
        consultation = asked(by=user, case=consultation, question="A profile, please.")
    confirmation, question = _patient_mail(consultation)
    assert confirmation.subject.startswith("Recibimos su solicitud de consulta")
    assert confirmation.body.startswith("Gracias por su solicitud.")
    assert question.subject.startswith(f"Su solicitud de consulta {consultation.reference}")
    assert question.body.startswith("Hola:")
    for message in (confirmation, question):
        body_html, _mimetype = message.alternatives[0]
        assert '<html lang="es">' in body_html
        assert consultation.reference in message.subject and consultation.reference in message.body
        assert_no_phi(message.subject, message.body, body_html)
        for text in (message.subject, message.body, visible_text(body_html)):
            assert_spanish(text, f"the {message.subject!r} email")
    # The clinic's copy of the same event stays English.
    staff = [m for m in mail.outbox if m.to != [consultation.email]]
    assert staff and all("Recibimos" not in m.subject for m in staff)


def test_an_english_request_gets_english_emails(django_capture_on_commit_callbacks):
    consultation = ConsultationRequestFactory(language="en")
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        notify_request_submitted(consultation)
        notify_more_info_requested(consultation)
    confirmation, question = _patient_mail(consultation)
    assert confirmation.body.startswith("Thank you for your request.")
    assert question.body.startswith("Hello,")


# --- Staff ------------------------------------------------------------------------------


def test_staff_pages_and_the_admin_stay_english_for_a_spanish_browser(client):
    sign_in_page = client.get("/staff/sign-in/", **SPANISH)
    assert sign_in_page["Content-Language"] == "en"
    assert '<html lang="en">' in sign_in_page.content.decode()
    assert 'class="language-switch"' not in sign_in_page.content.decode()

    case = ConsultationRequestFactory(language="es")
    staff = signed_in(client.__class__(), coordinator())
    queue = staff.get(reverse("staff:queue"), **SPANISH).content.decode()
    assert '<html lang="en">' in queue and "Queue" in queue
    assert "Recibida" not in queue and "Enviada" not in queue
    # The case page tells the coordinator which language to write questions in.
    page = staff.get(reverse("staff:case_detail", args=[case.reference]), **SPANISH)
    assert '<html lang="en">' in page.content.decode()
    assert '<span lang="es">Español</span>' in page.content.decode()

    admin = signed_in(client.__class__(), administrator())
    index = admin.get("/admin/", **SPANISH).content.decode()
    # Django's admin has Spanish of its own; it must not be used.
    assert "Site administration" in index and "Administración del sitio" not in index
