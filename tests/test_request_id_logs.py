"""JSON log lines with a request id, from the web request to the Celery worker."""

import io
import json
import logging
import re

import pytest
from django.test import Client

from common.request_id import RequestIdFilter
from tests.images import jpeg_upload
from tests.notify_support import wait_for
from tests.submission import PATIENT, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """What the console handler settings.LOGGING configured writes, as text."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def json_lines(text: str) -> list[dict]:
    """Every line must be one JSON object (a log shipper reads them one by one)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_request_logs_json_lines_with_its_id_and_returns_it(console):
    response = Client(headers={"X-Request-ID": "lb-7f3a-42"}).get("/")
    assert response["X-Request-ID"] == "lb-7f3a-42"

    lines = json_lines(console.getvalue())
    finished = [line for line in lines if line["logger"] == "portal.request"]
    assert finished, lines
    for line in finished:
        assert {"time", "level", "logger", "message", "request_id"} <= line.keys()
        assert line["request_id"] == "lb-7f3a-42"
    # The view's name, never the path (paths carry the status-link tokens).
    assert finished[-1]["message"].startswith("GET consultations:request_new 200")


@pytest.mark.parametrize(
    "incoming", ["", "x" * 65, "bad id", "id\nforged line", "<script>", "über"]
)
def test_an_insane_incoming_id_is_replaced_by_a_fresh_one(incoming, console):
    response = Client(headers={"X-Request-ID": incoming}).get("/")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = json_lines(console.getvalue())
    assert {line.get("request_id") for line in lines if line["logger"] == "portal.request"} == {
        request_id
    }


def test_each_request_without_an_id_gets_its_own():
    client = Client()
    first, second = client.get("/")["X-Request-ID"], client.get("/")["X-Request-ID"]
    assert first != second


@pytest.mark.worker
def test_the_worker_logs_a_requests_tasks_with_the_same_id(celery_worker):
    client = Client(headers={"X-Request-ID": "submit-0001"})
    response = submit(client, [jpeg_upload()])
    assert response.status_code == 302

    def worker_lines_for_request():
        lines = json_lines_of_worker(celery_worker.log())
        return [line for line in lines if line.get("request_id") == "submit-0001"]

    try:
        wait_for(
            lambda: any(
                line["message"].startswith("notification sent")
                for line in worker_lines_for_request()
            ),
            what="the worker's 'notification sent' line with the request id",
        )
    except AssertionError:
        pytest.fail(f"worker log:\n{celery_worker.log()}")
    loggers = {line["logger"] for line in worker_lines_for_request()}
    assert {"notifications.services", "uploads.processing"} & loggers
    # The worker's lines are as free of the patient's details as the web's.
    log = celery_worker.log()
    for value in (PATIENT["email"], PATIENT["last_name"]):
        assert value not in log


def json_lines_of_worker(text: str) -> list[dict]:
    """The worker's log lines; Celery's start-up banner (printed, not logged) is not JSON."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines
