import os
import socket
import uuid
from contextlib import closing
from pathlib import Path
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
    # Fast, yet an algorithm the production server (a subprocess) also verifies.
    settings.PASSWORD_HASHERS = ["tests.staff.QuickPBKDF2PasswordHasher"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PORTAL_SITE_URL = "http://portal.test"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps used authenticator codes in the cache: one test's sign-in
    must not make the next test's code look reused."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _broker_failure_forgotten():
    """A test that broke the broker must not make the next one skip publishing."""
    from common.publish import broker_failure_forget

    broker_failure_forget()
    yield
    broker_failure_forget()


@pytest.fixture(scope="session", autouse=True)
def _flush_past_truncate_guards():
    """Append-only tables refuse TRUNCATE (a statement trigger); the flush that
    empties the database after each transactional test is the one TRUNCATE
    allowed, through pgtrigger.ignore on exactly those triggers."""
    import pgtrigger
    from django.test import TransactionTestCase

    guards = [
        f"{model._meta.label}:{trigger.name}"
        for model, trigger in pgtrigger.registered()
        if trigger.operation == pgtrigger.Truncate
    ]
    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        with pgtrigger.ignore(*guards):
            original(self)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin client, signed in the one way staff sign in
    (its force_login would be refused: no second factor)."""
    from django.test import Client

    from tests.staff import PASSWORD, signed_in

    admin_user.set_password(PASSWORD)
    admin_user.save()
    return signed_in(Client(), admin_user)


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
def s3_bucket(moto_endpoint, settings, request):
    """A fresh private bucket, and the private storage pointed at it.

    Afterwards the storage report (lifecycle.orphans) must find the bucket and
    the rows agreeing: no object without a row, no row without its object,
    unless the test is marked ``leaves_orphans`` (it makes them on purpose).
    """
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
    # The production settings' own options, pointed at this bucket.
    from config.env import Env
    from config.settings import private_storage_options

    options = private_storage_options(
        Env(),
        bucket_name=bucket,
        region_name="eu-west-1",
        endpoint_url=moto_endpoint,
        access_key="test",
        secret_key="test",
        addressing_style="path",
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    yield client, bucket
    if request.node.get_closest_marker("leaves_orphans") is None:
        _assert_no_orphans(settings, options)


def _assert_no_orphans(settings, options: dict) -> None:
    from lifecycle.orphans import storage_report

    # Straight to moto, past any proxy the test cut; and every object counts,
    # however young: the test is over.
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    settings.PORTAL_STORAGE_ORPHAN_AFTER_SECONDS = 0
    report = storage_report()
    orphans = [item.key for item in report.unreferenced]
    assert (orphans, report.missing) == ([], []), "the bucket and the rows disagree"


@pytest.fixture
def s3_behind_proxy(s3_bucket, moto_endpoint, settings):
    """The private storage reaches moto through a proxy the test can cut."""
    from urllib.parse import urlsplit

    from tests.tcp_proxy import TcpProxy

    endpoint = urlsplit(moto_endpoint)
    proxy = TcpProxy(endpoint.hostname, endpoint.port)
    private = settings.STORAGES["private"]
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**private, "OPTIONS": {**private["OPTIONS"], "endpoint_url": proxy.url}},
    }
    yield (*s3_bucket, proxy)
    proxy.close()


# --- Redis, for tests with a real broker -----------------------------------


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    parsed = urlparse(url)
    if not _reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        service_missing("Redis", url)
    return url


# --- A real browser -----------------------------------------------------------


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core from npm (package.json), injected by tests.browser.assert_accessible."""
    if not AXE.exists():
        service_missing("axe-core", f"{AXE} missing (npm ci)")
    return str(AXE)


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


# --- The portal as the clinic runs it (gunicorn, DEBUG off, a Celery worker) ---


@pytest.fixture(scope="session")
def production_server(django_db_setup, redis_url, tmp_path_factory):
    """One gunicorn and one Celery worker for the whole run, on the test database.

    Tests reach it through ``portal``, which makes them transactional so the
    server sees what they commit (and they see what it commits).
    """
    from celery import Celery
    from django.conf import settings

    from tests.production_server import run_production_server

    # A Redis database of its own: its worker must not take the tasks of the
    # tests that start a worker of their own on ``redis_url``, nor they its.
    server_redis_url = _neighbour_database(redis_url)
    ping_app = Celery("portal-tests-ping", broker=server_redis_url)
    with ping_app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()
    yield from run_production_server(
        base=tmp_path_factory.mktemp("production"),
        redis_url=server_redis_url,
        ping_app=ping_app,
        secret_key=settings.SECRET_KEY,
    )


@pytest.fixture
def portal(production_server, transactional_db):
    """The production server, with this test's mail only; its logs are printed if it fails."""
    for message in production_server.mail_dir.iterdir():
        message.unlink()
    for log in production_server.logs:
        log.mark()
    yield production_server
    _wait_for_the_worker(production_server)


def _wait_for_the_worker(server, timeout: float = 20.0) -> None:
    """Let the server's worker finish what the test queued (renditions, emails):
    emptying the tables under it would deadlock with its writes. A test that
    leaves work stuck on purpose costs the timeout, nothing more."""
    import time

    from notifications.models import Notification, NotificationStatus
    from uploads.models import Photo, ProcessingStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = Photo.objects.filter(status=ProcessingStatus.PENDING).exists() or (
            Notification.objects.filter(
                status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
            ).exists()
        )
        if not busy:
            return
        time.sleep(0.2)


def pytest_collection_modifyitems(items):
    """Tests on the production server run last. Tests with a worker of their own
    reset kombu's process-wide broker pools (``celery_app_on_broker``); once the
    session-long server's ping app holds pools of its own, that reset leaves the
    portal's publisher with a closed pool ("Acquire on closed pool")."""
    items.sort(key=lambda item: "portal" in getattr(item, "fixturenames", ()))


def _neighbour_database(redis_url: str) -> str:
    """redis://host:6379/15 -> redis://host:6379/14: the next database down."""
    parsed = urlparse(redis_url)
    number = int(parsed.path.strip("/") or 0)
    return parsed._replace(path=f"/{(number - 1) % 16}").geturl()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    server = getattr(item, "funcargs", {}).get("portal")
    if report.failed and server is not None:
        for log in server.logs:
            report.sections.append((f"{log.name} log during this test", log.since_mark()))
    return report


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


def die_with_parent():
    """Linux: the worker gets SIGKILL if the test process dies without cleaning up,
    so no stray worker is left to take the next run's tasks."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


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
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu's global producer pools still hold the closed connection pool.
    pools.reset()


def worker_env(*, redis_url: str, mail_dir, private_root, site_url: str = "") -> dict:
    """Environment for a worker subprocess that shares this test's database,
    private storage (local or S3) and site URL; mail goes to files in mail_dir."""
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url_for_subprocess(),
        "CELERY_BROKER_URL": redis_url,
        # django-environ drops one leading slash of the path.
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "PORTAL_SITE_URL": site_url or settings.PORTAL_SITE_URL,
        "PORTAL_PRIVATE_FILES_ROOT": str(private_root),
    }
    private = settings.STORAGES["private"]
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
    return env


def start_worker(*, app, env: dict, log_path, prefix: str = "test"):
    """Start `celery worker` and return once it answers a ping addressed to it."""
    import subprocess
    import sys
    import time

    name = f"{prefix}-{uuid.uuid4().hex[:8]}@portal-tests"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", name]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )
    deadline = time.monotonic() + 30
    # Ping this worker by name: a stray worker on the same broker must not count.
    while not app.control.ping(destination=[name], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Celery worker did not start:\n{log_path.read_text()}")
    return process


def stop_worker(process) -> None:
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def celery_worker(celery_app_on_broker, redis_url, transactional_db, private_root, tmp_path):
    """A `celery worker` subprocess sharing this test's database and private storage.

    Tests using it must commit what the worker should see: the fixture pulls in
    ``transactional_db``. Sent emails land as files in ``worker.mail_dir``.
    """
    mail_dir = tmp_path / "worker-mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = worker_env(redis_url=redis_url, mail_dir=mail_dir, private_root=private_root)
    process = start_worker(app=celery_app_on_broker, env=env, log_path=log_path)
    yield WorkerProcess(process, mail_dir, log_path)
    stop_worker(process)


# --- Text messages: a stand-in for Twilio's API on a local port -------------------


@pytest.fixture
def fake_twilio(settings, monkeypatch):
    """A FakeTwilio, and the portal's SMS settings pointed at it: in this process
    (settings) and in any worker started after this fixture (environment)."""
    from tests.sms_server import FakeTwilio
    from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, SENDER

    server = FakeTwilio()
    config = {
        "PORTAL_SMS_BACKEND": "twilio",
        "PORTAL_SMS_ACCOUNT_SID": ACCOUNT_SID,
        "PORTAL_SMS_AUTH_TOKEN": AUTH_TOKEN,
        "PORTAL_SMS_FROM": SENDER,
        "PORTAL_SMS_MESSAGING_SERVICE_SID": "",
        "PORTAL_SMS_API_URL": server.url,
        "PORTAL_SMS_TIMEOUT": 1,
    }
    for name, value in config.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, str(value))
    # A worker's retry comes a second later, not thirty.
    monkeypatch.setenv("PORTAL_NOTIFY_RETRY_BASE_SECONDS", "1")
    yield server
    server.close()


# --- Staff roles ---------------------------------------------------------------


@pytest.fixture
def coordinator_user(db):
    from tests.staff import coordinator

    return coordinator()


@pytest.fixture
def surgeon_user(db):
    from tests.staff import surgeon

    return surgeon()


@pytest.fixture
def other_surgeon_user(db):
    from tests.staff import surgeon

    return surgeon("othersurgeon")


@pytest.fixture
def outsider_user(db):
    """Signed in, even a Django staff member, but neither coordinator nor surgeon."""
    from tests.staff import make_user

    return make_user("outsider", is_staff=True)


# --- Private storage of either kind, for tests that must pass on both ---------


@pytest.fixture(params=["local", "s3"])
def storage_view(request, private_root):
    """Run the test against the local private directory and against S3 (moto)."""
    from tests.photos import StorageView

    if request.param == "s3":
        s3, bucket = request.getfixturevalue("s3_bucket")
        return StorageView("s3", s3=s3, bucket=bucket)
    return StorageView("local", root=private_root)


# --- Storage that fails part-way through a submission ---------------------------


@pytest.fixture
def storage_write_fails(monkeypatch):
    """``arm(StorageClass, nth=2)``: the nth write through that class raises OSError.

    Returns the list of names written (or attempted), so a test can check how
    far the submission got before it failed.
    """

    def arm(storage_class, *, nth: int) -> list[str]:
        real_save = storage_class._save
        attempted: list[str] = []

        def save_then_fail(self, name, content):
            attempted.append(name)
            if len(attempted) == nth:
                raise OSError("storage unavailable")
            return real_save(self, name, content)

        monkeypatch.setattr(storage_class, "_save", save_then_fail)
        return attempted

    return arm
