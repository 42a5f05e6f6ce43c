"""Tables that keep history: the database itself refuses to change them."""

import pgtrigger


def append_only_triggers(what: str) -> list[pgtrigger.Trigger]:
    """Refuse UPDATE, DELETE and TRUNCATE on a model's table, whoever asks.

    TRUNCATE fires statement triggers only, and pgtrigger's Protect has none,
    so it gets a plain statement trigger (which still honours pgtrigger.ignore:
    the test suite's flush between transactional tests passes through it,
    see tests/conftest.py; the application never does).
    """
    return [
        pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        pgtrigger.Trigger(
            name="refuse_truncate",
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            func=f"RAISE EXCEPTION 'pgtrigger: {what} is append-only'; RETURN NULL;",
        ),
    ]
