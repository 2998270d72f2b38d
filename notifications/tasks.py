"""Thin tasks: load by id, call a service. The outbox row keeps the attempts and the backoff,
so a task retry only waits for the row's next attempt."""

from celery import Task, shared_task
from celery.signals import worker_ready
from django.core.cache import cache
from django.utils import timezone

from .models import OutboxMessage
from .services import RETRY, outbox_deliver, outbox_sweep

# When the worker last ran the sweep that beat schedules (it proves both are alive): read by
# /health/workers/ through the cache (Redis when configured).
WORKER_SEEN, BEAT_SEEN = "notifications:worker-seen", "notifications:beat-seen"


class HandOff(Task):
    """`delay` publishes once: a broker that is down fails at once instead of being retried
    while the request that committed waits (the sweep re-hands the row)."""

    def delay(self, *args, **kwargs):
        return self.apply_async(args, kwargs, retry=False)


@shared_task(bind=True, base=HandOff, max_retries=None)
def deliver(self, message_id: int) -> str:
    outcome = outbox_deliver(message_id=message_id)
    if outcome == RETRY:
        due = OutboxMessage.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True)
        wait = max((due[0] - timezone.now()).total_seconds(), 0) if due else 0
        raise self.retry(countdown=wait)
    return outcome


@shared_task
def sweep(*, everything: bool = False) -> int:
    """The periodic sweep (beat), or with `everything` the worker's own when it starts."""
    now = timezone.now().timestamp()
    cache.set_many({WORKER_SEEN: now, **({} if everything else {BEAT_SEEN: now})}, None)
    return outbox_sweep(everything=everything)


@worker_ready.connect
def sweep_when_the_worker_starts(sender, **kwargs) -> None:
    """A worker that starts sweeps once, everything waiting: what was handed off while it or
    the broker was down is delivered even without beat."""
    cache.set(WORKER_SEEN, timezone.now().timestamp(), None)
    sweep.apply_async(kwargs={"everything": True})
