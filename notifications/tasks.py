"""Thin tasks: load by id, call a service. The outbox row keeps the attempts and the backoff,
so a task retry only waits for the row's next attempt."""

from celery import shared_task
from django.utils import timezone

from .models import OutboxMessage
from .services import RETRY, outbox_deliver, outbox_sweep


@shared_task(bind=True, max_retries=None)
def deliver(self, message_id: int) -> str:
    outcome = outbox_deliver(message_id=message_id)
    if outcome == RETRY:
        due = OutboxMessage.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True)
        wait = max((due[0] - timezone.now()).total_seconds(), 0) if due else 0
        raise self.retry(countdown=wait)
    return outcome


@shared_task
def sweep() -> int:
    return outbox_sweep()
