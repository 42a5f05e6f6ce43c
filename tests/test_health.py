"""The health endpoints against real failures: a Redis of the test's own,
stopped or frozen (SIGSTOP), private storage that cannot be written, and the
real test database."""

import signal
import subprocess
import time

import pytest
from django.test import override_settings

from config.settings import redis_cache
from tests.conftest import _reachable, die_with_parent, free_port, service_missing

pytestmark = pytest.mark.django_db

COMPONENTS = {"database", "cache", "storage", "broker"}


class OwnRedis:
    """A redis-server of this test's own: stopping or freezing it touches nobody else."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
        try:
            self.process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, preexec_fn=die_with_parent
            )
        except FileNotFoundError:
            service_missing("redis-server", "not installed (apt-get install redis-server)")
        deadline = time.monotonic() + 10
        while not _reachable("127.0.0.1", self.port):
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)

    def stop(self):
        self.process.kill()
        self.process.wait(10)

    def freeze(self):
        # Connections are still accepted (by the kernel); nothing is ever answered.
        self.process.send_signal(signal.SIGSTOP)


@pytest.fixture
def own_redis(tmp_path):
    redis = OwnRedis(tmp_path)
    yield redis
    redis.stop()  # SIGKILL ends a frozen process too


def ready(client):
    started = time.monotonic()
    response = client.get("/health/ready/")
    return response, time.monotonic() - started


def test_liveness_touches_no_dependency(client, settings, own_redis):
    own_redis.stop()
    settings.CELERY_BROKER_URL = own_redis.url
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_ready_when_every_component_answers(client, settings, own_redis):
    settings.CELERY_BROKER_URL = own_redis.url
    with override_settings(CACHES={"default": redis_cache(own_redis.url)}):
        response, _ = ready(client)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(COMPONENTS, "ok")}
    assert "no-store" in response["Cache-Control"]


def test_a_stopped_broker_fails_readiness_and_names_only_the_component(client, settings, own_redis):
    settings.CELERY_BROKER_URL = own_redis.url
    own_redis.stop()
    response, _ = ready(client)
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "broker": "failing"},
    }
    # Nothing about where the broker is or what went wrong.
    body = response.content.decode()
    assert str(own_redis.port) not in body and "127.0.0.1" not in body
    assert "refused" not in body.lower()


def test_a_frozen_broker_fails_readiness_within_seconds(client, settings, own_redis):
    settings.CELERY_BROKER_URL = own_redis.url
    own_redis.freeze()
    response, elapsed = ready(client)
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failing"
    assert elapsed < 6, f"readiness took {elapsed:.1f} s"


def test_a_frozen_cache_fails_readiness_within_seconds(client, settings, own_redis):
    """The production cache settings' own timeouts bound the wait."""
    own_redis.freeze()
    with override_settings(CACHES={"default": redis_cache(own_redis.url)}):
        response, elapsed = ready(client)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "failing", "storage": "ok"}
    assert elapsed < 6, f"readiness took {elapsed:.1f} s"


def test_unwritable_private_storage_fails_readiness(client, settings, tmp_path):
    # The directory cannot be created: its parent is a file (a mount that is
    # missing; permissions would not stop the root user the tests may run as).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "uploads.storage.LocalPrivateStorage",
            "OPTIONS": {"location": blocker / "private"},
        },
    }
    response, _ = ready(client)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "storage": "failing"}
    assert str(tmp_path) not in response.content.decode()


def test_the_storage_probe_leaves_nothing_behind(client, private_root):
    response, _ = ready(client)
    assert response.status_code == 200
    assert [path for path in private_root.rglob("*") if path.is_file()] == []
