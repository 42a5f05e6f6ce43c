import os

from celery import Celery, signals

from common import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels in the task message's headers: a worker's log lines
# for a request carry the id of the request that queued the task.
REQUEST_ID_HEADER = "portal_request_id"


@signals.setup_logging.connect
def _logging_from_django_settings(**_):
    """The worker logs as the web processes do (settings.LOGGING: JSON lines
    with the request id), instead of Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def _carry_request_id(headers=None, **_):
    current = request_id.current.get()
    if current is not None and headers is not None:
        headers[REQUEST_ID_HEADER] = current


@signals.task_prerun.connect
def _adopt_request_id(task=None, **_):
    # An eager task runs inside the request, which already set the id.
    if task is not None and not task.request.is_eager:
        request_id.current.set(task.request.get(REQUEST_ID_HEADER))


@signals.task_postrun.connect
def _forget_request_id(task=None, **_):
    if task is not None and not task.request.is_eager:
        request_id.current.set(None)
