"""GET /health/: is the database reachable, and the broker? 200 if both, 503 if not. With a
reporting replica configured it says how that is too, without failing on it (reports and
exports fall back to the primary).
GET /health/workers/: have a Celery worker and beat been seen lately? 200 if both, 503 if not
(a readiness check for the email pipeline; the web's own liveness does not depend on it)."""

import time

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.replica import replica_state


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "ok (tasks run in-process)"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _replica() -> str | None:
    """The reporting replica's last check (None: no replica configured)."""
    state = replica_state()
    if state is None:
        return None
    fallback = " (reports read the primary)"
    if not state.up:
        return f"error: not answering: {state.error}{fallback}"
    if state.lag is None:
        return f"error: cannot tell its lag{fallback}"
    if state.lag > settings.REPLICA_MAX_LAG_SECONDS:
        return f"error: {state.lag:.0f} s behind{fallback}"
    return f"ok ({state.lag:.0f} s behind)"


@login_not_required
@never_cache
@require_GET
def health(request):
    checks, healthy = {}, True
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure of a dependency is reported, never raised
            checks[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    replica = _replica()  # never raises: a failed check is a state
    if replica is not None:
        checks["replica"] = replica
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def _seen(key: str) -> tuple[str, bool]:
    """How long ago the cache says `key` (a worker's or beat's heartbeat) was written."""
    stale_after = 3 * settings.CELERY_BEAT_SCHEDULE["notifications-sweep"]["schedule"] + 10
    at = cache.get(key)
    if at is None:
        return "error: never seen", False
    age = time.time() - at
    if age > stale_after:
        return f"error: last seen {age:.0f} s ago", False
    return f"ok (seen {age:.0f} s ago)", True


@login_not_required
@never_cache
@require_GET
def workers(request):
    """The worker writes its heartbeat when it starts and each time it runs beat's sweep (every
    NOTIFICATIONS_SWEEP_INTERVAL); seeing the sweep run proves beat is alive too."""
    from notifications.tasks import BEAT_SEEN, WORKER_SEEN

    checks, healthy = {}, True
    for name, key in (("worker", WORKER_SEEN), ("beat", BEAT_SEEN)):
        try:
            checks[name], ok = _seen(key)
        except Exception as exc:  # the cache (Redis) is down: reported, never raised
            checks[name], ok = f"error: {exc.__class__.__name__}", False
        healthy = healthy and ok
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
