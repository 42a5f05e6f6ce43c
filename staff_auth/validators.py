"""Password rules beyond Django's: not the clinic's name, not one repeated character.

Django's UserAttributeSimilarityValidator compares the whole password with
each attribute; "HarbourPlastic2026" is not similar enough to "Harbour
Plastic Surgery" as a whole, yet it is the first thing a guesser tries.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

# Words of the clinic's name too short or too common to matter on their own.
MIN_WORD = 4


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


class ClinicNameValidator:
    """Refuses a password that is the clinic's name (or its words) with digits
    or punctuation around them: what is left besides those words is too short."""

    def __init__(self, min_other_letters: int = 6):
        self.min_other_letters = min_other_letters

    def validate(self, password, user=None):
        words = [_letters(w) for w in re.split(r"\W+", settings.PORTAL_CLINIC_NAME)]
        rest = _letters(password)
        found = False
        for word in sorted(filter(lambda w: len(w) >= MIN_WORD, words), key=len, reverse=True):
            if word in rest:
                found = True
                rest = rest.replace(word, "")
        if found and len(rest) < self.min_other_letters:
            raise ValidationError(
                gettext("This password is too close to the clinic's name."),
                code="password_clinic_name",
            )

    def get_help_text(self):
        return gettext("Your password can't be built from the clinic's name.")


class VarietyValidator:
    """Refuses passwords made of very few different characters ("aaaaaaaaaaaa")."""

    def __init__(self, min_distinct: int = 5):
        self.min_distinct = min_distinct

    def validate(self, password, user=None):
        if len(set(password.lower())) < self.min_distinct:
            raise ValidationError(
                ngettext(
                    "This password uses fewer than %(min_distinct)d different character.",
                    "This password uses fewer than %(min_distinct)d different characters.",
                    self.min_distinct,
                ),
                code="password_too_repetitive",
                params={"min_distinct": self.min_distinct},
            )

    def get_help_text(self):
        return ngettext(
            "Your password must use at least %(min_distinct)d different character.",
            "Your password must use at least %(min_distinct)d different characters.",
            self.min_distinct,
        ) % {"min_distinct": self.min_distinct}
