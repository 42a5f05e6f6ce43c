"""Staff pages are English, but their Python strings go through the catalogue.

Two checks: makemessages (over a copy of the project, as for the patient's
strings) extracts known staff strings from the staff files, and with a pseudo
"Spanish" catalogue in which every msgid reads "⟦msgid⟧", the labels, tabs,
confirmations and refusals come out of it at the time they are shown (so a
label is lazy, not worded once at import in whatever language was active).
"""

from pathlib import Path

import polib
import pytest
from django.test import override_settings
from django.utils import translation

from consultations.actions import STAFF_ACTIONS
from consultations.models import Outcome
from consultations.selectors import STATUS_TABS
from consultations.staff_forms import CloseForm, QueueFilterForm
from consultations.workflow import Action, Role, TransitionRefused, transition_check
from lifecycle.forms import EraseForm
from notifications.models import NotificationStatus
from staff_auth.validators import VarietyValidator
from tests.test_translations import _extracted_catalogue

# A sample of staff strings, each with the file it must be extracted from.
STAFF_STRINGS = {
    "consultations/workflow.py": [
        "Start triage",
        "Route to a surgeon",
        "Mark as duplicate",
        "Only a %(role)s can %(action)s.",
    ],
    "consultations/actions.py": ["Triage started.", "Routed to %(surgeon)s."],
    "consultations/selectors.py": ["Needs triage", "With a surgeon", "More than a week"],
    "consultations/staff_forms.py": ["Only cases I have taken", "Note for the surgeon"],
    "consultations/staff_views.py": ["%(reference)s is yours.", "Note added."],
    "consultations/queue_rows.py": ["Patient answered"],
    "consultations/case_changes.py": ["Only a coordinator can take a case."],
    "lifecycle/forms.py": ["Why is it erased?"],
    "lifecycle/views.py": ["%(reference)s was erased."],
    "notifications/models.py": ["Maybe sent (check)", "Staff chat webhook"],
    "notifications/selectors.py": ["Not delivered", "Email, as the text did not reach them"],
    "staff_auth/forms.py": ["Code from your authenticator app"],
    "staff_auth/models.py": ["Second factor refused"],
    "staff_auth/validators.py": ["This password is too close to the clinic's name."],
}
PLURAL = "This password uses fewer than %(min_distinct)d different character."


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    return _extracted_catalogue(tmp_path_factory.mktemp("staff-strings"))


def test_staff_strings_are_extracted_from_the_staff_files(extracted):
    found = {
        (path, entry.msgid)
        for entry in extracted
        if not entry.obsolete
        for path, _line in entry.occurrences
    }
    missing = [
        f"{path}: {msgid!r}"
        for path, msgids in STAFF_STRINGS.items()
        for msgid in msgids
        if (path, msgid) not in found
    ]
    assert not missing, "Staff strings not marked for translation:\n" + "\n".join(missing)
    plural = extracted.find(PLURAL)
    assert plural is not None and plural.msgid_plural.endswith("different characters.")


@pytest.fixture
def pseudo_language(extracted, tmp_path):
    """The extracted catalogue as 'es', every string "⟦msgid⟧", active for the test."""
    pseudo = polib.POFile()
    pseudo.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    for entry in extracted:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            plurals = {0: f"⟦{entry.msgid}⟧", 1: f"⟦{entry.msgid_plural}⟧"}
            pseudo.append(
                polib.POEntry(
                    msgid=entry.msgid, msgid_plural=entry.msgid_plural, msgstr_plural=plurals
                )
            )
        else:
            pseudo.append(polib.POEntry(msgid=entry.msgid, msgstr=f"⟦{entry.msgid}⟧"))
    directory = tmp_path / "locale" / "es" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    pseudo.save_as_mofile(str(directory / "django.mo"))
    # Changing LOCALE_PATHS empties Django's cache of loaded catalogues.
    with (
        override_settings(LOCALE_PATHS=[str(Path(tmp_path) / "locale")]),
        translation.override("es"),
    ):
        yield


def test_staff_strings_are_read_from_the_catalogue_when_shown(pseudo_language):
    # Labels worded at import are lazy: they read the active catalogue.
    assert str(STATUS_TABS["triage"][0]) == "⟦Needs triage⟧"
    assert str(STAFF_ACTIONS[Action.ROUTE].label) == "⟦Route to a surgeon⟧"
    assert str(QueueFilterForm().fields["mine"].label) == "⟦Only cases I have taken⟧"
    assert str(EraseForm(expected="CR-2222-2222").fields["reason"].label) == "⟦Why is it erased?⟧"
    assert str(NotificationStatus.UNCERTAIN.label) == "⟦Maybe sent (check)⟧"
    # Confirmations worded at request time, with their placeholders filled in.
    done = STAFF_ACTIONS[Action.START_TRIAGE].done({})
    assert done == "⟦Triage started.⟧"
    closed = STAFF_ACTIONS[Action.CLOSE].done({"outcome": Outcome.NO_RESPONSE})
    assert closed == "⟦Case closed: ⟦no response from the patient⟧.⟧"
    # A refusal, a form's label and a validator's plural.
    with pytest.raises(TransitionRefused) as refused:
        transition_check(action=Action.START_TRIAGE, status="submitted", role=Role.SURGEON)
    assert str(refused.value) == "⟦Only a ⟦coordinator⟧ can ⟦start triage⟧.⟧"
    assert str(CloseForm().fields["outcome"].label) == "⟦Outcome⟧"
    assert VarietyValidator().get_help_text() == (
        "⟦Your password must use at least 5 different characters.⟧"
    )


def test_staff_strings_stay_english_in_english():
    with translation.override("en"):
        assert str(STATUS_TABS["triage"][0]) == "Needs triage"
        assert STAFF_ACTIONS[Action.START_TRIAGE].done({}) == "Triage started."
        with pytest.raises(TransitionRefused) as refused:
            transition_check(action=Action.START_TRIAGE, status="submitted", role=Role.SURGEON)
        assert str(refused.value) == "Only a coordinator can start triage."
