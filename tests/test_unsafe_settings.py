"""With DEBUG off the portal refuses to start on unsafe settings, unless told.

Each case starts a fresh Python process on the production settings module.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_deploy_settings import HARDENED

ROOT = Path(__file__).resolve().parent.parent


def start_env(env: dict) -> dict:
    """The environment of a process that sees only HARDENED plus ``env``."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PORTAL_", "CELERY_", "EMAIL_", "AWS_"))
    }
    return {**base, "DJANGO_SETTINGS_MODULE": "config.settings", **HARDENED, **env}


def start(env: dict) -> subprocess.CompletedProcess:
    """`manage.py check` in a process that sees only HARDENED plus ``env``."""
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=start_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


UNSAFE = {
    "secret_key": (
        {"DJANGO_SECRET_KEY": "django-insecure-local-only-set-DJANGO_SECRET_KEY"},
        "DJANGO_SECRET_KEY is the public default",
    ),
    "eager_tasks": ({"CELERY_BROKER_URL": ""}, "CELERY_BROKER_URL is not set"),
    "console_email": ({"EMAIL_URL": "consolemail://"}, "delivers no mail"),
    "local_site_url": ({"PORTAL_SITE_URL": "http://localhost:8000"}, "points at this machine"),
    # Only when chosen: with DEBUG off and no Twilio account texts are off.
    "console_sms": ({"PORTAL_SMS_BACKEND": "console"}, "prints text messages"),
}


def test_the_hardened_environment_starts():
    result = start({})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("rule", UNSAFE)
def test_each_unsafe_setting_stops_start_up_with_a_clear_message(rule):
    env, message = UNSAFE[rule]
    result = start(env)
    assert result.returncode == 1
    assert "ImproperlyConfigured: The portal refuses to run with DEBUG off" in result.stderr
    assert message in result.stderr
    assert f"PORTAL_ALLOW_UNSAFE={rule}" in result.stderr


@pytest.mark.parametrize("rule", UNSAFE)
def test_an_explicit_allowance_lets_it_start(rule):
    env, _ = UNSAFE[rule]
    result = start({**env, "PORTAL_ALLOW_UNSAFE": rule})
    assert result.returncode == 0, result.stderr


def test_an_allowance_names_a_known_rule():
    result = start({"PORTAL_ALLOW_UNSAFE": "secret-key"})
    assert result.returncode == 1
    assert "PORTAL_ALLOW_UNSAFE names unknown rules ['secret-key']" in result.stderr


def test_with_debug_on_the_local_defaults_start():
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("word", ["flase", "ture", "maybe", ""])
def test_a_boolean_that_is_not_true_or_false_stops_start_up(word):
    result = start({"DJANGO_SECURE_COOKIES": word})
    assert result.returncode == 1
    assert f"DJANGO_SECURE_COOKIES={word!r} is not true or false" in result.stderr


@pytest.mark.parametrize("word", ["false", "0", "no", "False"])
def test_a_boolean_accepts_the_usual_words(word):
    result = start({"DJANGO_SECURE_COOKIES": word, "PORTAL_HOST_PREFIX_COOKIES": word})
    assert result.returncode == 0, result.stderr


def test_secrets_can_come_from_files(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("from-a-file-" + "x7Q" * 20 + "\n")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(repr(settings.SECRET_KEY))"
    )
    env = {"DJANGO_SECRET_KEY_FILE": str(key), "DJANGO_SECRET_KEY": "not-this-one-" + "y" * 50}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **HARDENED, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The file wins, without its trailing newline.
    assert result.stdout.strip() == repr("from-a-file-" + "x7Q" * 20)


def test_a_missing_secret_file_stops_start_up(tmp_path):
    result = start({"DATABASE_URL_FILE": str(tmp_path / "absent")})
    assert result.returncode == 1
    assert "DATABASE_URL_FILE: cannot read" in result.stderr


def test_without_an_sms_account_texts_are_off_and_the_portal_starts():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.PORTAL_SMS_BACKEND)",
        ],
        cwd=ROOT,
        env={**start_env({}), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "off", result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PORTAL_SMS_ACCOUNT_SID": "AC1"},
            "need PORTAL_SMS_ACCOUNT_SID and PORTAL_SMS_AUTH_TOKEN",
        ),
        (
            {"PORTAL_SMS_ACCOUNT_SID": "AC1", "PORTAL_SMS_AUTH_TOKEN": "t"},
            "need a sender: PORTAL_SMS_FROM or PORTAL_SMS_MESSAGING_SERVICE_SID",
        ),
        ({"PORTAL_SMS_BACKEND": "carrier-pigeon"}, "choose twilio, console or off"),
    ],
)
def test_a_half_configured_sms_account_stops_start_up(env, message):
    result = start(env)
    assert result.returncode == 1
    assert message in result.stderr
