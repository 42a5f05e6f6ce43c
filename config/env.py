"""Reading the environment: secrets from files, booleans that refuse typos,
and the rules production refuses to start without.

Every variable NAME can instead be given as NAME_FILE, the path of a file that
holds the value (Docker and Kubernetes secrets); the file wins over NAME.
"""

from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


class _SecretFiles(environ.FileAwareMapping):
    def __getitem__(self, key):
        path = self.env.get(f"{key}_FILE")
        try:
            value = super().__getitem__(key)
        except OSError as error:
            raise ImproperlyConfigured(
                f"{key}_FILE: cannot read {path}: {error.strerror}"
            ) from None
        # Editors and `echo` end files with a newline that is no part of a secret.
        return value.rstrip("\r\n") if path else value


class Env(environ.Env):
    ENVIRON = _SecretFiles()

    def bool(self, var, default=environ.Env.NOTSET):
        """Only true/false (1/0, yes/no, on/off): django-environ reads any
        other word, `flase` included, as false, which would silently turn
        a security setting off."""
        if var not in self.ENVIRON:
            if default is environ.Env.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable.")
            return default
        word = self.str(var).strip().lower()
        if word in TRUE:
            return True
        if word in FALSE:
            return False
        raise ImproperlyConfigured(f"{var}={word!r} is not true or false.")


# --- What production refuses ---------------------------------------------------

UNSAFE = {
    "secret_key": "DJANGO_SECRET_KEY is the public default or empty: set a long random key.",
    "eager_tasks": (
        "CELERY_BROKER_URL is not set, so tasks (emails, photos) would run inside "
        "the web process: set the broker's URL."
    ),
    "console_email": (
        "EMAIL_URL (or PORTAL_EMAIL_BACKEND) delivers no mail (console, file, memory "
        "or dummy backend): set the SMTP server or provider."
    ),
    "local_site_url": (
        "PORTAL_SITE_URL points at this machine: links in emails would lead nowhere. "
        "Set the portal's public address."
    ),
    "console_sms": (
        "PORTAL_SMS_BACKEND=console prints text messages (and their status links) "
        "instead of sending them: set PORTAL_SMS_ACCOUNT_SID (Twilio) or choose off."
    ),
}
_UNDELIVERED_EMAIL = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 (compared, not bound)


def unsafe_findings(
    *,
    secret_key: str,
    default_secret_key: str,
    broker_url: str,
    email_backend: str,
    site_url: str,
    sms_backend: str = "off",
) -> list[str]:
    """The names (keys of UNSAFE) of the rules these settings break."""
    host = (urlsplit(site_url).hostname or "").lower()
    broken = {
        "secret_key": not secret_key
        or secret_key == default_secret_key
        or secret_key.startswith("django-insecure"),
        "eager_tasks": not broker_url,
        "console_email": email_backend in _UNDELIVERED_EMAIL,
        "local_site_url": host in _LOCAL_HOSTS or host.endswith(".localhost"),
        # Only when chosen: with DEBUG off an unconfigured SMS is "off", not console.
        "console_sms": sms_backend == "console",
    }
    return [name for name, is_broken in broken.items() if is_broken]


def refuse_unsafe(findings: list[str], allowed: list[str]) -> None:
    """Raise ImproperlyConfigured for each finding not named in PORTAL_ALLOW_UNSAFE."""
    unknown = sorted(set(allowed) - set(UNSAFE))
    if unknown:
        raise ImproperlyConfigured(
            f"PORTAL_ALLOW_UNSAFE names unknown rules {unknown}; known: {sorted(UNSAFE)}."
        )
    refused = [name for name in findings if name not in allowed]
    if refused:
        reasons = "\n".join(f"  {name}: {UNSAFE[name]}" for name in refused)
        raise ImproperlyConfigured(
            "The portal refuses to run with DEBUG off:\n"
            f"{reasons}\n"
            "To run anyway (a test server), name the rule in PORTAL_ALLOW_UNSAFE, "
            f"e.g. PORTAL_ALLOW_UNSAFE={','.join(refused)}."
        )
