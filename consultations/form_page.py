"""The request form's fields, rendered once per language for every fresh visitor.

Drawing the form's 34 widgets (a 250-country list among them) through
Django's templates was most of the CPU a GET of the form cost (bench/README.md,
"Where a submission's CPU goes"). What a new visitor sees is the same for
everyone: an empty form whose only value, the submission key, is drawn
outside this part of the page. So that part is rendered once per language
and per process, and reused. A form with anything of its own (typed values
shown again, kept photos, errors, a notice) is rendered every time.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from .forms import ConsultationRequestForm

TEMPLATE = "consultations/request_form_fields.html"

# get_language() -> the fields of an empty form. Each language has its own
# copy: labels, help texts and country names are translated.
_fresh: dict[str | None, SafeString] = {}


def request_form_fields(
    request: HttpRequest, form: ConsultationRequestForm, context: dict
) -> SafeString:
    """The fields part of the page for ``form``; ``context`` is the page's."""
    if not _is_fresh(form, context):
        return render_to_string(TEMPLATE, context, request)
    language = get_language()
    fields = _fresh.get(language)
    if fields is None:
        fields = _fresh[language] = render_to_string(TEMPLATE, context, request)
    return fields


def _is_fresh(form: ConsultationRequestForm, context: dict) -> bool:
    """Nothing of this visitor's in the fields: no data, typed values, kept photos or notice."""
    return (
        not form.is_bound
        and set(form.initial) <= {"submission_key"}
        and not form.kept
        and not any(context.get(flag) for flag in ("csrf_failed", "rate_limited"))
    )


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    # The fields show limits read from settings (photos, sizes, the clinic's
    # name); a test that changes one must see it.
    _fresh.clear()
