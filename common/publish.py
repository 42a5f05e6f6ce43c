"""Publishing Celery tasks from a web request: bounded in time, never raising.

Everything published here is also recorded in the database (a pending photo,
a notification row), and a periodic sweep publishes what is still waiting, so
a publish that fails loses nothing; it must only not cost the patient the page
they are waiting for. The broker transport's socket timeouts bound one publish
(config/settings.py); after a broker failure this process skips publishing for
a while, so one request with several photos and notifications does not wait
for each of them in turn, and neither do the requests after it.
"""

import logging
import time

from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Long enough to spare the next requests a hung broker, short next to the sweeps.
SKIP_AFTER_FAILURE_SECONDS = 30.0

_skip_until = 0.0


def task_publish(task, args: tuple, **options) -> bool:
    """``task.apply_async(args, **options)``; returns whether it was published."""
    global _skip_until
    if time.monotonic() < _skip_until:
        logger.warning("broker failed recently, publish left for the sweep task=%s", task.name)
        return False
    try:
        task.apply_async(args, **options)
    except BrokerError as error:
        _skip_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
        logger.warning(
            "broker unavailable, publish left for the sweep task=%s error=%s",
            task.name,
            type(error).__name__,
        )
        return False
    except Exception:
        # E.g. a task run in-process (no broker configured) that failed.
        logger.exception("publish failed, left for the sweep task=%s", task.name)
        return False
    return True


def broker_failure_forget() -> None:
    """Publish again at once (tests; a broker known to be back)."""
    global _skip_until
    _skip_until = 0.0
