"""Faults the web path meets for real: a hung broker, a lost database connection.

Each test recreates the fault (a redis-server of its own frozen with SIGSTOP,
``pg_terminate_backend`` on the connection the view uses); nothing under test
is mocked.
"""

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.publish import broker_failure_forget
from consultations.models import ConsultationRequest, Status
from consultations.status_links import status_path
from notifications.models import Notification
from notifications.services import notifications_sweep
from tests.conftest import _reset_broker_pools, die_with_parent, free_port
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes, jpeg_upload
from tests.production_server import production_env, start_gunicorn, stop_gunicorn
from tests.submission import PATIENT, form_data, submit
from tests.test_resubmission import asked, reply
from uploads.models import Photo, ProcessingStatus
from uploads.services import AcceptedPhoto, photos_requeue_pending, photos_stored_all_or_nothing
from uploads.storage import private_storage
from uploads.validation import inspect_photo


def accepted_jpeg() -> AcceptedPhoto:
    upload = jpeg_upload("front.jpg")
    facts = inspect_photo(upload, name=upload.name, max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS)
    return AcceptedPhoto(upload=upload, facts=facts)


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


# --- A hung broker ---------------------------------------------------------------


def redis_server_of_our_own(socket_path) -> subprocess.Popen:
    """A throwaway redis-server on a unix socket: this test may freeze it."""
    return subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(socket_path)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )


@pytest.fixture
def frozen_broker(tmp_path, settings):
    """A redis-server of this test's own, as this process's Celery broker, then
    frozen with SIGSTOP: connections are accepted and nothing is ever answered.
    Yields a function that thaws it (SIGCONT)."""
    from config.celery import app

    socket_path = tmp_path / "redis.sock"
    server = redis_server_of_our_own(socket_path)
    broker_url = f"redis+socket://{socket_path}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _reset_broker_pools(app)
    deadline = time.monotonic() + 10
    while True:
        try:
            with app.connection_for_write() as connection:
                connection.default_channel.client.ping()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    os.kill(server.pid, signal.SIGSTOP)

    def thaw():
        os.kill(server.pid, signal.SIGCONT)
        broker_failure_forget()

    try:
        yield thaw
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(10)
        app.conf.update(saved)
        _reset_broker_pools(app)
        broker_failure_forget()


def queued_tasks(app) -> list[tuple[str, object]]:
    """(task name, first argument) of every message waiting in the default queue."""
    with app.connection_for_write() as connection:
        raw = connection.default_channel.client.lrange("celery", 0, -1)
    messages = [json.loads(item) for item in raw]
    return [(m["headers"]["task"], json.loads(_body(m))[0][0]) for m in messages]


def _body(message) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


def test_a_hung_broker_costs_the_patient_neither_the_page_nor_the_photos(
    client, transactional_db, frozen_broker, private_root, settings
):
    from config.celery import app

    settings.PORTAL_CLINIC_NOTIFY_EMAIL = "desk@clinic.example"
    started = time.monotonic()
    response = submit(client, [jpeg_upload("front.jpg"), jpeg_upload("side.jpg")])
    took = time.monotonic() - started

    # Well inside gunicorn's 30 s timeout: the publish gave up, the page came.
    print(f"submission with a frozen broker answered in {took:.1f} s")
    assert took < 10, f"the submission took {took:.1f} s"
    consultation = ConsultationRequest.objects.get()
    assert response.status_code == 302 and response.url == status_path(consultation)
    assert client.get(response.url).status_code == 200
    photos = list(consultation.photos.all())
    assert len(photos) == 2
    storage = private_storage()
    assert all(storage.exists(p.original_key) for p in photos)
    assert {p.status for p in photos} == {ProcessingStatus.PENDING}
    pending = set(consultation.notifications.values_list("pk", flat=True))
    assert pending

    # The broker comes back: the sweeps publish everything that was left.
    frozen_broker()
    assert photos_requeue_pending(older_than=datetime.timedelta(0)) == 2
    Notification.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))
    assert set(notifications_sweep()) == pending
    queued = queued_tasks(app)
    assert sorted(args for name, args in queued if name == "uploads.photo_process") == sorted(
        str(p.pk) for p in photos
    )
    assert {args for name, args in queued if "deliver" in name} == pending


def test_an_exit_after_the_commit_leaves_the_committed_photos_alone(
    transactional_db, private_root, celery_app_on_broker
):
    """gunicorn's worker timeout raises SystemExit wherever the worker is; after
    the commit, the photos belong to a committed request and must stay. (On a
    broker, so processing is queued, not run here, and the upload stays.)"""
    consultation = ConsultationRequestFactory()

    def worker_timeout():
        raise SystemExit(1)

    with pytest.raises(SystemExit), photos_stored_all_or_nothing() as store, transaction.atomic():
        stored = store(consultation=consultation, photos=[accepted_jpeg()])
        transaction.on_commit(worker_timeout)

    photo = Photo.objects.get()
    assert photo.pk == stored[0].pk
    assert private_storage().exists(photo.original_key)


def test_an_exit_before_the_commit_still_removes_the_uploads(transactional_db, private_root):
    consultation = ConsultationRequestFactory()

    with pytest.raises(SystemExit), photos_stored_all_or_nothing() as store, transaction.atomic():
        stored = store(consultation=consultation, photos=[accepted_jpeg()])
        raise SystemExit(1)

    assert not Photo.objects.exists()
    assert not private_storage().exists(stored[0].original_key)


# --- A lost database connection ------------------------------------------------------


@contextmanager
def connection_terminated_at(marker: str, *, times: int = 1):
    """Terminate this process's database connection (pg_terminate_backend, from
    a connection of its own) just before the next ``times`` queries whose SQL
    contains ``marker`` are sent, so each of them meets a really lost connection."""
    left = {"times": times}

    def terminate_first(execute, sql, params, many, context):
        if left["times"] and marker in sql:
            left["times"] -= 1
            backend_pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(_dsn(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(terminate_first):
        yield left


def _dsn() -> str:
    db = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def test_a_connection_lost_at_the_key_lookup_gives_the_form_back_with_a_503(
    client, transactional_db
):
    with connection_terminated_at('"submission_key" =') as left:
        response = submit(client, [jpeg_upload("front.jpg")])

    assert left["times"] == 0, "the fault was not met"
    assert response.status_code == 503
    page = response.content.decode()
    assert "Nothing was submitted" in page
    assert PATIENT["symptoms"] in page and PATIENT["last_name"] in page
    assert not ConsultationRequest.objects.exists()
    # The page's own connection came back: the next try goes through.
    response = submit(client, [jpeg_upload("front.jpg")])
    assert response.status_code == 302 and ConsultationRequest.objects.count() == 1


def test_the_status_page_reconnects_after_a_lost_connection(client, transactional_db):
    consultation = ConsultationRequestFactory()

    with connection_terminated_at('"status_key" =') as left:
        response = client.get(status_path(consultation))

    assert left["times"] == 0, "the fault was not met"
    assert response.status_code == 200
    assert consultation.reference in response.content.decode()


def test_the_status_page_says_the_request_is_safe_when_the_database_stays_away(
    client, transactional_db
):
    consultation = ConsultationRequestFactory()

    with connection_terminated_at('"status_key" =', times=2) as left:
        response = client.get(status_path(consultation))

    assert left["times"] == 0, "the fault was not met"
    assert response.status_code == 503
    page = response.content.decode()
    assert "it has been saved" in page and "reload this page" in page
    # Once the database is back, the same link shows the request.
    assert consultation.reference in client.get(status_path(consultation)).content.decode()


def test_a_connection_lost_while_saving_gives_the_form_back_and_keeps_no_photo(
    client, transactional_db, private_root
):
    # The last write of the transaction: the photos are in storage by then.
    with connection_terminated_at('INSERT INTO "notifications_notification"') as left:
        response = submit(client, [jpeg_upload("front.jpg")])

    assert left["times"] == 0, "the fault was not met"
    assert response.status_code == 503
    page = response.content.decode()
    assert "Nothing was submitted" in page and PATIENT["symptoms"] in page
    assert not ConsultationRequest.objects.exists() and not Photo.objects.exists()
    assert not list((private_root / "originals").iterdir())


def test_a_reply_whose_connection_was_lost_is_stored_once_after_a_reconnect(
    client, transactional_db, private_root
):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    question = asked(case)

    with connection_terminated_at('"consultations_informationrequest"') as left:
        response = reply(client, case, question, "Here it is.", [jpeg_upload()])

    assert left["times"] == 0, "the fault was not met"
    assert response.status_code == 302 and response["Location"].endswith("?replied=1")
    question.refresh_from_db()
    assert question.answer == "Here it is." and case.photos.count() == 1


def test_a_reply_the_database_never_took_says_it_was_not_sent(client, transactional_db):
    case = ConsultationRequestFactory(status=Status.IN_TRIAGE)
    question = asked(case)

    with connection_terminated_at('"consultations_informationrequest"', times=99):
        response = reply(client, case, question, "Here it is.")

    assert response.status_code == 503
    assert "Your answer was not sent" in response.content.decode()
    question.refresh_from_db()
    assert question.answered_at is None


def test_gunicorn_answers_a_submission_while_the_broker_is_frozen(
    portal, redis_url, tmp_path, settings
):
    """The drill itself: the production server (gunicorn, DEBUG off) on a broker
    that accepts connections and never answers. Before the fix the worker hung
    until gunicorn's timeout killed it, and its SystemExit deleted the photos."""
    socket_path = tmp_path / "redis.sock"
    broker = redis_server_of_our_own(socket_path)
    base = tmp_path / "server"
    for name in ("mail", "private"):
        (base / name).mkdir(parents=True)
    port = free_port()
    env = production_env(
        base=base,
        redis_url=f"redis+socket://{socket_path}",
        url=f"http://localhost:{port}",
        secret_key=settings.SECRET_KEY,
    )
    # The cache stays on the shared test Redis: only the broker hangs.
    env.update(
        PORTAL_CACHE_URL=redis_url, DJANGO_STATIC_ROOT=str(portal.private_root.parent / "static")
    )
    web = start_gunicorn(env=env, port=port, log_path=tmp_path / "gunicorn.log")
    try:
        form_url = f"http://localhost:{port}/"
        form_page = requests.get(form_url, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text)[1]
        # The cookies are Secure, as in production: requests keeps them off http.
        cookies = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in form_page.cookies)}
        os.kill(broker.pid, signal.SIGSTOP)
        started = time.monotonic()
        response = requests.post(
            form_url,
            data={**form_data(), "csrfmiddlewaretoken": token},
            files=[("photos", ("front.jpg", image_bytes("JPEG"), "image/jpeg"))] * 2,
            headers={"Referer": form_url, **cookies},
            allow_redirects=False,
            timeout=60,
        )
        status_page = requests.get(
            form_url.rstrip("/") + response.headers.get("Location", "/"),
            headers=cookies,
            timeout=60,
        )
        took = time.monotonic() - started
    finally:
        os.kill(broker.pid, signal.SIGCONT)
        stop_gunicorn(web)
        broker.terminate()
        broker.wait(10)
    log = (tmp_path / "gunicorn.log").read_text()
    print(f"gunicorn answered in {took:.1f} s with the broker frozen")
    assert took < 10, log
    assert response.status_code == 302, log
    consultation = ConsultationRequest.objects.get()
    assert response.headers["Location"] == status_path(consultation)
    assert status_page.status_code == 200 and consultation.reference in status_page.text
    photos = list(consultation.photos.all())
    assert len(photos) == 2 and {p.status for p in photos} == {ProcessingStatus.PENDING}
    assert all((base / "private" / p.original_key).exists() for p in photos)
    assert "WORKER TIMEOUT" not in log


def test_a_connection_lost_just_after_the_commit_still_leads_to_the_status_page(
    client, transactional_db
):
    # The first query after the commit is the session's.
    with connection_terminated_at('"django_session"') as left:
        response = submit(client, [jpeg_upload("front.jpg")])

    assert left["times"] == 0, "the fault was not met"
    consultation = ConsultationRequest.objects.get()
    assert response.status_code == 302 and response.url == status_path(consultation)
    assert consultation.reference in client.get(response.url).content.decode()
