"""Every word a staff page shows is marked for translation (issue 14).

Staff pages are rendered in English (consultations.middleware), but their
templates carry the translation tags so a clinic can translate them: this test
reads each staff template, removes what is translated or not shown, and fails
on any run of text with a letter in it that is left over, and on a shown
attribute (aria-label, title, alt, placeholder, data-label) worded outside the
tags. It reads the source, so it finds a string on a branch no test renders.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# The staff templates: the staff pages, erasure and export, the sign-in pages
# (allauth's, restyled), two-factor, the portal's own admin pages and the photo
# displays staff see.
STAFF_TEMPLATES = sorted(
    [
        *TEMPLATES.glob("staff/*.html"),
        *TEMPLATES.glob("lifecycle/*.html"),
        *TEMPLATES.glob("account/*.html"),
        *TEMPLATES.glob("mfa/**/*.html"),
        *TEMPLATES.glob("admin/*.html"),
        *TEMPLATES.glob("uploads/*.html"),
    ]
)

# Shown text that is not a word to translate. Only runs with a letter are
# checked at all, so punctuation and symbols (· × — → ← − +) pass by
# themselves; this list is for runs that have a letter yet are no sentence.
ALLOWED: frozenset[str] = frozenset()

_DROP = [
    # Comments: never shown.
    re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    # Blocks that fill a class attribute of base.html (header_container,
    # body_class, ...): CSS class names, not text.
    re.compile(r"{%\s*block\s+\w+_(?:container|class)\s*%}.*?{%\s*endblock\s*%}", re.S),
    # Translated text, whole blocks first.
    re.compile(r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S),
    re.compile(r"{%\s*trans(?:late)?\b.*?%}", re.S),
    # Script and style contents are not text.
    re.compile(r"<script\b.*?</script\s*>", re.S | re.I),
    re.compile(r"<style\b.*?</style\s*>", re.S | re.I),
]
_TEMPLATE_TAGS = [re.compile(r"{%.*?%}", re.S), re.compile(r"{{.*?}}", re.S)]
_HTML_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&#?\w+;")
_LETTER = re.compile(r"[^\W\d_]")
_SHOWN_ATTRIBUTE = re.compile(
    r"""\b(aria-label|title|alt|placeholder|data-label)\s*=\s*("[^"]*"|'[^']*')""", re.I
)


def _without_translated(source: str) -> str:
    for pattern in _DROP:
        source = pattern.sub(" ", source)
    return source


def _without_template_tags(text: str) -> str:
    for pattern in _TEMPLATE_TAGS:
        text = pattern.sub(" ", text)
    return text


def unmarked_text(source: str) -> list[str]:
    """The runs of shown text with a letter that no translation tag covers."""
    text = _HTML_TAG.sub("\n", _without_template_tags(_without_translated(source)))
    runs = (" ".join(run.split()) for run in _ENTITY.sub(" ", text).splitlines())
    return [run for run in runs if _LETTER.search(run) and run not in ALLOWED]


def unmarked_attributes(source: str) -> list[str]:
    """Shown attributes (aria-label, title, alt, placeholder) worded outside the tags."""
    source = _without_translated(source)
    found = []
    for match in _SHOWN_ATTRIBUTE.finditer(source):
        value = _without_template_tags(match.group(2)[1:-1])
        if _LETTER.search(value):
            found.append(match.group(0))
    return found


# A quoted string handed to a filter or an include ({{ x|default:"None given" }},
# {% include ... with heading="Please check" %}) is shown too: it must be _("...").
# A date format ("j M Y H:i") has no word of two letters, so it is not caught.
_TAG_WITH_ARGUMENTS = re.compile(r"{{.*?}}|{%\s*include\b.*?%}", re.S)
_LITERAL = re.compile(r"""(?<![_(])(["'])([^"']*)\1""")


def unmarked_literals(source: str) -> list[str]:
    """Words in quotes handed to a filter or an include, outside _("...")."""
    found = []
    for tag in _TAG_WITH_ARGUMENTS.finditer(_without_translated(source)):
        for literal in _LITERAL.finditer(tag.group(0)):
            text = literal.group(2)
            if " " in text and re.search(r"[^\W\d_]{2}", text):
                found.append(literal.group(0))
    return found


def test_the_staff_templates_are_found():
    names = {str(path.relative_to(TEMPLATES)) for path in STAFF_TEMPLATES}
    assert {"staff/queue.html", "staff/case_detail.html", "account/login.html"} <= names
    assert any(name.startswith("mfa/") for name in names)
    assert len(names) > 25


@pytest.mark.parametrize("path", STAFF_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_every_shown_word_in_a_staff_template_is_marked_for_translation(path):
    source = path.read_text()
    if re.search(r"{%\s*(block)?trans(late)?\b", source):
        assert re.search(r"{%\s*load\b[^%]*\bi18n\b", source), "the tags need {% load i18n %}"
    assert unmarked_text(source) == [], "text outside {% translate %}/{% blocktranslate %}"
    assert unmarked_attributes(source) == [], "attribute text outside {% translate %}"
    assert unmarked_literals(source) == [], 'words in quotes outside _("...")'


def test_the_check_finds_unmarked_text_and_attributes():
    marked = (
        "{% load i18n %}{# A note #}{% comment %}Staff only{% endcomment %}"
        '<p title="{% translate "Open" %}">{% translate "Queue" %} · {{ case.reference }}'
        "{% blocktranslate trimmed with n=x %}\n  Page {{ n }}\n{% endblocktranslate %}</p>"
        "<script>let words = 1;</script>"
    )
    assert unmarked_text(marked) == [] and unmarked_attributes(marked) == []
    assert unmarked_text("<h1>Queue</h1>") == ["Queue"]
    assert unmarked_text("{% if x %}Next: {{ y }}{% endif %}") == ["Next:"]
    assert unmarked_attributes('<nav aria-label="Pages">') == ['aria-label="Pages"']
    assert unmarked_attributes('<a title="Open photo {{ n }}">') == ['title="Open photo {{ n }}"']
    assert unmarked_literals('{{ a|default:"(photos only)" }}') == ['"(photos only)"']
    include = '{% include "x.html" with heading="Please check" %}'
    assert unmarked_literals(include) == ['"Please check"']
    assert unmarked_literals('{{ a|default:_("(photos only)") }}{{ t|date:"j M Y H:i" }}') == []
