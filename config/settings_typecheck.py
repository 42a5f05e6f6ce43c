"""The settings mypy's Django plugin imports (pyproject.toml, [tool.django-stubs]).

The plugin imports settings to learn the installed apps and models. With DEBUG
off the portal refuses its embedded defaults (config/env.py), so `uv run mypy`
would need a production-like environment; the development settings have the
same names and types, and the type check opens no connection.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

if "mypy" not in sys.modules:
    # DEBUG is forced on below: never let a server start with these.
    raise ImproperlyConfigured("config.settings_typecheck is for mypy only.")

os.environ["DJANGO_DEBUG"] = "true"

from config.settings import *  # noqa: E402, F403
