"""Production settings pass Django's deployment checks; the bare defaults do not."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HARDENED = {
    "DJANGO_SECRET_KEY": "k" * 20 + "-not-a-real-key-but-long-and-varied-0123456789-abcdefghijk",
    "DJANGO_ALLOWED_HOSTS": "consult.clinic.example",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_BEHIND_TLS_PROXY": "true",
    # What production refuses to run without (config/env.py).
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://portal:password@smtp.clinic.example:587",
    "PORTAL_SITE_URL": "https://consult.clinic.example",
}


def deploy_check(extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PORTAL_ALLOW_UNSAFE", "CELERY_", "EMAIL_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_hardened_settings_pass_the_deployment_check():
    result = deploy_check(HARDENED)
    assert result.returncode == 0, result.stderr


def test_the_local_defaults_are_flagged():
    result = deploy_check(
        {"PORTAL_ALLOW_UNSAFE": "secret_key,eager_tasks,console_email,local_site_url"}
    )
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr
