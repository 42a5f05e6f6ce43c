"""Every id a page refers to (aria-describedby, aria-labelledby, label[for], in-page links)."""

from html.parser import HTMLParser


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("aria-describedby", "aria-labelledby"):
            for ref in (attrs.get(name) or "").split():
                self.refs.append((f"{tag}[{name}]", ref))
        if tag == "label" and attrs.get("for"):
            self.refs.append(("label[for]", attrs["for"]))
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.refs.append(("a[href]", href[1:]))


def _parsed(html: str) -> _References:
    parser = _References()
    parser.feed(html)
    return parser


def dangling_references(html: str) -> list[tuple[str, str]]:
    """(where, id) for each reference to an id that is not on the page."""
    parser = _parsed(html)
    return [(where, ref) for where, ref in parser.refs if ref not in parser.ids]


def described_by(html: str) -> set[str]:
    """Every id some element names in its aria-describedby."""
    return {ref for where, ref in _parsed(html).refs if where.endswith("[aria-describedby]")}
