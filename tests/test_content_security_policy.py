"""Pages may load nothing from another host; on S3, photos may come from the bucket only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", reverse("account_login")])
def test_pages_carry_a_self_only_policy(client, url):
    policy = client.get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


def policy_with(env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_"))}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def test_on_s3_only_the_bucket_may_serve_images():
    sources = policy_with(
        {"AWS_STORAGE_BUCKET_NAME": "clinic-photos", "AWS_S3_REGION_NAME": "eu-west-1"}
    )
    assert sources == [
        "'self'",
        "https://clinic-photos.s3.amazonaws.com",
        "https://clinic-photos.s3.eu-west-1.amazonaws.com",
        "https://s3.eu-west-1.amazonaws.com",
    ]


def test_with_an_s3_compatible_endpoint_its_origin_serves_images():
    sources = policy_with(
        {
            "AWS_STORAGE_BUCKET_NAME": "photos",
            "AWS_S3_ENDPOINT_URL": "https://minio.clinic.example:9000/",
        }
    )
    assert sources == [
        "'self'",
        "https://minio.clinic.example:9000",
        "https://photos.minio.clinic.example:9000",
    ]
