"""Every write of the outbox: enqueue in the caller's transaction, deliver from the worker.

A message is one row, unique per (order, kind, subject_key): whatever calls enqueue twice, the
customer gets one email. The worker claims a row with a conditional UPDATE, so two deliveries of
the same task (a redelivered task, the sweep racing the first hand-off) send it once; only a crash
between the SMTP server's acceptance and the sent-mark can repeat it, and then the copy carries
the same Message-ID.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection, make_msgid
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.services import serial_codes_mark_delivered
from orders.actors import Actor
from orders.models import Order, OrderEvent
from orders.services import order_event_add

from .emails import EmailSkipped, render_email
from .models import OutboxMessage

logger = logging.getLogger(__name__)

WORKER = Actor.system("Email worker")
Status = OutboxMessage.Status


class NotificationError(Exception):
    """A staff action on the outbox that cannot be done (the message is not failed)."""


# What outbox_deliver did; RETRY tells the task to come back at the row's next_attempt_at.
SENT, RETRY, FAILED, SKIPPED, NOT_CLAIMED = "sent", "retry", "failed", "skipped", "not claimed"


def _lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE)


def backoff(attempts: int) -> timedelta:
    """The wait before try `attempts + 1`: doubling from the base, capped."""
    base = settings.NOTIFICATIONS_RETRY_BASE
    return timedelta(seconds=min(base * 2 ** (attempts - 1), settings.NOTIFICATIONS_RETRY_MAX))


def _label(message: OutboxMessage) -> str:
    return f"{message.get_kind_display()} email"


def outbox_hand_to_worker(message_pk: int) -> None:
    """Queue delivery; a broker outage is logged, not raised: the sweep re-hands the row."""
    from .tasks import deliver

    try:
        deliver.delay(message_pk)
    except Exception:
        logger.exception("Outbox message %s not handed to the worker; the sweep will", message_pk)


def outbox_enqueue(
    *, order: Order, kind: str, subject_key: str, actor: Actor
) -> OutboxMessage | None:
    """Write the email to send as an outbox row, in the caller's transaction.

    Guarantees: at most one row per (order, kind, subject_key), by the unique constraint, so a
    repeated call returns None and changes nothing; the Message-ID is fixed now; the timeline
    says it was queued; the worker gets it only after the caller's transaction commits.
    """
    message = OutboxMessage(
        order=order,
        kind=kind,
        subject_key=subject_key,
        to_email=order.customer_email,
        message_id=make_msgid(domain=settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN),
        next_attempt_at=timezone.now(),
    )
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            message.save(force_insert=True)
    except IntegrityError:
        return None
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.EMAIL,
        message=f"{_label(message)} queued to {message.to_email}.",
        actor=actor,
    )
    transaction.on_commit(lambda: outbox_hand_to_worker(message.pk))
    return message


def _claim(message_pk: int) -> OutboxMessage | None:
    now = timezone.now()
    claimable = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=now - _lease()
    )
    claimed = OutboxMessage.objects.filter(claimable, pk=message_pk).update(
        status=Status.SENDING, claimed_at=now
    )
    if not claimed:
        return None
    return OutboxMessage.objects.select_related("order").get(pk=message_pk)


def _finish(message: OutboxMessage, *, status: str, event: str, **fields) -> None:
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=status, **fields
        )
        order_event_add(
            order=message.order, kind=OrderEvent.Kind.EMAIL, message=event, actor=WORKER
        )


def _record_failure(message: OutboxMessage, error: str) -> str:
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if row.status != Status.SENDING:
            return NOT_CLAIMED
        row.attempts += 1
        row.last_error = error[:2000]
        row.claimed_at = None
        if row.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            row.status = Status.FAILED
            event = f"{_label(row)} to {row.to_email} failed after {row.attempts} attempts: {error}"
            outcome = FAILED
        else:
            row.status = Status.PENDING
            row.next_attempt_at = timezone.now() + backoff(row.attempts)
            event = (
                f"{_label(row)} to {row.to_email} not sent yet (attempt {row.attempts}): {error}"
            )
            outcome = RETRY
        row.save(
            update_fields=["attempts", "last_error", "claimed_at", "status", "next_attempt_at"]
        )
        order_event_add(order=row.order, kind=OrderEvent.Kind.EMAIL, message=event, actor=WORKER)
    return outcome


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox message, if it is due and nobody else holds it.

    Guarantees: only the worker that claimed the row sends it; the email is rendered from the
    order as it is now and carries the row's Message-ID; the serial codes it carries are
    marked delivered before it leaves (never to be returned to the pool); a sent email is marked sent and
    recorded in the timeline; an SMTP failure is counted and retried later with exponential
    backoff, until NOTIFICATIONS_MAX_ATTEMPTS marks it failed for staff to see.
    """
    message = _claim(message_id)
    if message is None:
        return NOT_CLAIMED
    try:
        rendered = render_email(message)
    except EmailSkipped as skipped:
        _finish(message, status=Status.SKIPPED, event=str(skipped), claimed_at=None)
        return SKIPPED
    except Exception as exc:
        # A row that cannot be rendered (its shipment gone, a template error) counts its
        # attempts like an SMTP failure rather than bouncing between the sweep and the worker.
        logger.exception("Outbox message %s could not be rendered", message.pk)
        return _record_failure(message, f"{type(exc).__name__}: {exc}")
    if rendered.serial_code_ids and serial_codes_mark_delivered(
        code_ids=rendered.serial_code_ids
    ) != len(rendered.serial_code_ids):
        # A store admin returned one to the pool between reading and marking: render again.
        return _record_failure(message, "A serial code went back to the pool before sending.")
    connection = get_connection(timeout=settings.NOTIFICATIONS_SMTP_TIMEOUT)
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=rendered.from_email,
        to=[message.to_email],
        reply_to=[rendered.reply_to] if rendered.reply_to else None,
        headers={"Message-ID": message.message_id},
        connection=connection,
    )
    email.attach_alternative(rendered.html, "text/html")
    try:
        # Opened here and closed only after the sent-mark: between the server's acceptance
        # (its answer to DATA) and the mark there is nothing but the mark, not even QUIT.
        connection.open()
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        _hang_up(connection)
        return _record_failure(message, f"{type(exc).__name__}: {exc}")
    try:
        _finish(
            message,
            status=Status.SENT,
            event=f"{_label(message)} sent to {message.to_email}.",
            sent_at=timezone.now(),
        )
    finally:
        _hang_up(connection)
    return SENT


def _hang_up(connection) -> None:
    """Close the SMTP connection; the email's fate is settled, so a failing QUIT is only logged."""
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        logger.warning("Closing the SMTP connection failed", exc_info=True)


@transaction.atomic
def outbox_retry(*, message_id: int, actor: Actor) -> OutboxMessage:
    """Staff's retry of a failed email: it gets a fresh set of attempts, now.

    Guarantees: only a failed message moves (else NotificationError); the timeline records who
    asked; the worker gets it after commit.
    """
    message = OutboxMessage.objects.select_for_update().select_related("order").get(pk=message_id)
    if message.status != Status.FAILED:
        raise NotificationError(
            f"The {_label(message).lower()} is {message.get_status_display().lower()}, not failed."
        )
    message.status = Status.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    order_event_add(
        order=message.order,
        kind=OrderEvent.Kind.EMAIL,
        message=f"{_label(message)} to {message.to_email} retried.",
        actor=actor,
    )
    transaction.on_commit(lambda: outbox_hand_to_worker(message.pk))
    return message


def outbox_sweep() -> int:
    """Re-hand to the worker what is still waiting: rows due for a while (the broker was down
    when they were handed) and `sending` claims older than the lease (the worker died).
    Returns how many were handed; a row handed twice is still sent once (the claim)."""
    now = timezone.now()
    due = now - timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE)
    pks = list(
        OutboxMessage.objects.filter(
            Q(status=Status.PENDING, next_attempt_at__lte=due)
            | Q(status=Status.SENDING, claimed_at__lt=now - _lease())
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.NOTIFICATIONS_SWEEP_BATCH]
    )
    for pk in pks:
        outbox_hand_to_worker(pk)
    return len(pks)
