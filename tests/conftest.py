import os
import socket
import uuid
from contextlib import closing
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")


def pytest_sessionstart(session):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if IN_CI and "postgresql" not in engine:
        pytest.exit(f"CI must test against PostgreSQL (DATABASE_URL); got {engine}.", returncode=3)


def service_missing(what: str, reason: str):
    """In CI a missing service fails the test; on a bare machine it is skipped."""
    message = f"{what} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _reachable(host: str, port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _portal_test_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "private": {
            "BACKEND": "uploads.storage.LocalPrivateStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PORTAL_SITE_URL = "http://portal.test"


@pytest.fixture
def private_root(settings):
    return settings.STORAGES["private"]["OPTIONS"]["location"]


# --- S3 over HTTP (moto's server mode) --------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint, settings):
    """A fresh private bucket, and the private storage pointed at it."""
    import boto3

    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "region_name": "eu-west-1",
                "endpoint_url": moto_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "custom_domain": None,
                "object_parameters": {"ServerSideEncryption": "AES256"},
            },
        },
    }
    return client, bucket


# --- Redis, for tests with a real broker -----------------------------------


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    parsed = urlparse(url)
    if not _reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        service_missing("Redis", url)
    return url


# --- A real browser -----------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        service_missing("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


# --- A real Celery worker process on the Redis broker -----------------------


class WorkerProcess:
    def __init__(self, process, mail_dir, log_path):
        self.process = process
        self.mail_dir = mail_dir
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self):
        """SIGKILL: the worker gets no chance to finish or acknowledge anything."""
        self.process.kill()
        self.process.wait(10)


def _database_url_for_subprocess() -> str:
    from django.db import connection

    db = connection.settings_dict
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_app_on_broker(redis_url):
    """Point this process's Celery app at Redis, so .delay() really publishes."""
    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    _reset_broker_pools(app)
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()
    yield app
    app.conf.update(saved)
    _reset_broker_pools(app)


def _reset_broker_pools(app):
    # Celery caches connections for the broker it first saw; drop them.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu also keeps pools per broker URL in a global registry, which would
    # hand the closed pool back to the next test on the same broker.
    from kombu import pools

    pools.reset()


@pytest.fixture
def celery_worker(celery_app_on_broker, redis_url, transactional_db, private_root, tmp_path):
    """A `celery worker` subprocess sharing this test's database and private storage.

    Tests using it must commit what the worker should see: the fixture pulls in
    ``transactional_db``. Sent emails land as files in ``worker.mail_dir``.
    """
    import subprocess
    import sys
    import time

    from django.conf import settings

    mail_dir = tmp_path / "worker-mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    private = settings.STORAGES["private"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url_for_subprocess(),
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_URL": f"filemail://{mail_dir}",
        "PORTAL_SITE_URL": settings.PORTAL_SITE_URL,
        "PORTAL_PRIVATE_FILES_ROOT": str(private_root),
    }
    if private["BACKEND"].startswith("storages."):
        options = private["OPTIONS"]
        env.update(
            AWS_STORAGE_BUCKET_NAME=options["bucket_name"],
            AWS_S3_REGION_NAME=options["region_name"],
            AWS_S3_ENDPOINT_URL=options["endpoint_url"],
            AWS_ACCESS_KEY_ID=options["access_key"],
            AWS_SECRET_ACCESS_KEY=options["secret_key"],
            AWS_S3_ADDRESSING_STYLE="path",
        )
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                name,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(process, mail_dir, log_path)
    deadline = time.monotonic() + 30
    try:
        while not celery_app_on_broker.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start:\n{worker.log()}")
    except BaseException:
        # Teardown does not run when setup fails: a worker left running would
        # keep taking tasks from the next tests' queue.
        process.kill()
        process.wait(5)
        raise
    yield worker
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# --- Private storage of either kind, for tests that must pass on both ---------


@pytest.fixture(params=["local", "s3"])
def storage_view(request, private_root):
    """Run the test against the local private directory and against S3 (moto)."""
    from tests.photos import StorageView

    if request.param == "s3":
        s3, bucket = request.getfixturevalue("s3_bucket")
        return StorageView("s3", s3=s3, bucket=bucket)
    return StorageView("local", root=private_root)
