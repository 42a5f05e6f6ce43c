"""Health endpoints for the load balancer and the orchestrator.

``/health/live/``: the process answers (no dependency is touched), so a
database outage does not get every web process restarted.
``/health/ready/``: the database, the cache, the broker and the private
storage each answer within a few seconds; otherwise 503, so the load balancer
sends no patients to a process that cannot take their request.

Both are public (probes carry no credentials) and reveal only which component
is ok or failing: no host names, error texts or timings. The reason for a
failure is logged (django-health-check logs it, with the request id).
"""

import asyncio
import datetime

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check import checks
from health_check.base import HealthCheck
from health_check.contrib.redis import Redis
from redis.asyncio import Redis as RedisClient

# A hung dependency (a frozen Redis, a database that accepts and never answers)
# must not hold the probe, nor the web process, for longer than this.
BUDGET = datetime.timedelta(seconds=3)


@never_cache
def liveness(request):
    return JsonResponse({"status": "ok"})


class _Database(checks.Database):
    timeout = BUDGET


class _Storage(checks.Storage):
    timeout = BUDGET


class _Broker(Redis):
    timeout = BUDGET


def _broker_client() -> RedisClient:
    return RedisClient.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=BUDGET.total_seconds(),
        socket_timeout=BUDGET.total_seconds(),
    )


def readiness_checks() -> dict[str, HealthCheck]:
    components: dict[str, HealthCheck] = {
        "database": _Database(),
        # Its timeout is also the probe key's lifetime in the cache.
        "cache": checks.Cache(timeout=BUDGET),
        "storage": _Storage(alias="private"),
    }
    # With no broker, tasks run inside the web process: nothing to check.
    if settings.CELERY_BROKER_URL:
        components["broker"] = _Broker(client_factory=_broker_client)
    return components


@never_cache
async def readiness(request):
    components = readiness_checks()
    # Each check gives up after its timeout (plus a second), in parallel.
    results = await asyncio.gather(*(check.get_result() for check in components.values()))
    states = {
        name: "failing" if result.error else "ok"
        for name, result in zip(components, results, strict=True)
    }
    failing = "failing" in states.values()
    return JsonResponse(
        {"status": "failing" if failing else "ok", "checks": states},
        status=503 if failing else 200,
    )
