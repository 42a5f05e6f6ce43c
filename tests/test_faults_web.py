"""Faults the web path meets for real: a hung broker, a lost database connection.

Each test recreates the fault (a redis-server of its own frozen with SIGSTOP,
``pg_terminate_backend`` on the connection the view uses); nothing under test
is mocked.
"""

import json
import os
import subprocess
import sys

from django.conf import settings


def test_beat_looks_for_stranded_photos_as_often_as_the_setting_says():
    # Settings are read once per process: read them in a fresh one.
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CELERY_BEAT_SCHEDULE['photos-requeue-pending']))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env["PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS"] = "17"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entry = json.loads(out.strip().splitlines()[-1])
    assert entry["task"] == "uploads.photos_requeue_pending"
    assert entry["schedule"] == 17.0 and entry["options"]["expires"] == 17.0
    assert settings.CELERY_BEAT_SCHEDULE["photos-requeue-pending"]["schedule"] == float(
        settings.PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS
    )
