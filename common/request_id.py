"""A request id on every log line: taken from a sane incoming ``X-Request-ID``
(a proxy or load balancer may set one) or made here, returned in the response,
and carried into Celery tasks (config/celery.py) so a worker's lines for a
request carry the same id.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Short and plain: the id lands in every log line and a response header, so
# anything a client could use to forge lines or headers is replaced.
SANE = re.compile(r"[A-Za-z0-9-]{1,64}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)

logger = logging.getLogger("portal.request")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if SANE.fullmatch(incoming) else uuid.uuid4().hex
        token = current.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            _log_finished(request, response, started)
            return response
        finally:
            current.reset(token)


def _log_finished(request, response, started) -> None:
    # The view's name, never the path: paths carry the patients' status-link tokens.
    match = request.resolver_match
    view = match.view_name if match else "-"
    if view.startswith("health_"):
        return  # probes every few seconds would drown the rest
    elapsed_ms = (time.monotonic() - started) * 1000
    logger.info("%s %s %s %.0fms", request.method, view, response.status_code, elapsed_ms)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record a handler emits (outside a
    request or task there is none, and the formatter shows its default)."""

    def filter(self, record):
        request_id = current.get()
        if request_id is not None:
            record.request_id = request_id
        return True
