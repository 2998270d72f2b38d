"""Every write of the outbox: enqueue in the caller's transaction, deliver from the worker.

A message is one row, unique per (order, kind, subject_key): whatever calls enqueue twice, the
customer gets one email. The worker claims a row with a conditional UPDATE, so two deliveries of
the same task (a redelivered task, the sweep racing the first hand-off) send it once; only a crash
between the SMTP server's acceptance and the sent-mark can repeat it, and then the copy carries
the same Message-ID.
"""

import logging
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection, make_msgid
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

from catalog.services import serial_codes_mark_delivered
from orders.actors import Actor
from orders.models import Order, OrderEvent
from orders.services import order_event_add
from purchasing.delivery import po_edi_put, po_email_build
from purchasing.services import po_mark_transmitted
from purchasing.transport import TransportError

from .emails import EmailSkipped, RenderedEmail, render_email, sender
from .models import OutboxMessage

logger = logging.getLogger(__name__)

WORKER = Actor.system("Email worker")
Status = OutboxMessage.Status
T = TypeVar("T")


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
    if message.kind in OutboxMessage.PURCHASE_ORDER_KINDS:
        return f"{message.get_kind_display()} {message.subject_key}"
    return f"{message.get_kind_display()} email"


def _to(message: OutboxMessage) -> str:
    return message.to_email or "the vendor's EDI inbound folder"


def outbox_hand_to_worker(message_pk: int) -> None:
    """Queue delivery, once and without waiting: a broker that is down is logged, not retried
    (the request that committed must not wait on it) and not raised; the sweep re-hands the
    row."""
    from .tasks import deliver

    try:
        deliver.delay(message_pk)
    except Exception:
        logger.exception("Outbox message %s not handed to the worker; the sweep will", message_pk)


def outbox_enqueue(
    *, order: Order, kind: str, subject_key: str, actor: Actor, to_email: str | None = None
) -> OutboxMessage | None:
    """Write the email to send as an outbox row, in the caller's transaction.

    Guarantees: at most one row per (order, kind, subject_key), by the unique constraint, so a
    repeated call returns None and changes nothing; the Message-ID is fixed now; the timeline
    says it was queued; the worker gets it only after the caller's transaction commits.
    `to_email` is the customer's unless given (a vendor's; "" for an EDI vendor).
    """
    message = OutboxMessage(
        order=order,
        kind=kind,
        subject_key=subject_key,
        to_email=order.customer_email if to_email is None else to_email,
        message_id=make_msgid(domain=settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN),
        next_attempt_at=timezone.now(),
        handed_at=timezone.now(),
    )
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            message.save(force_insert=True)
    except IntegrityError:
        return None
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.EMAIL,
        message=f"{_label(message)} queued to {_to(message)}.",
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
        status=Status.SENDING, claimed_at=now, claim_token=uuid.uuid4()
    )
    if not claimed:
        return None
    return OutboxMessage.objects.select_related("order").get(pk=message_pk)


def _held(message: OutboxMessage):
    """The row while `message`'s claim is the current one (no later claim took it over)."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, claim_token=message.claim_token
    )


def _finish(message: OutboxMessage, *, status: str, event: str, **fields) -> bool:
    """Settle the row if this claim still holds it, and only then say so in the timeline."""
    with transaction.atomic():
        settled = _held(message).update(status=status, claim_token=None, **fields)
        if settled:
            order_event_add(
                order=message.order, kind=OrderEvent.Kind.EMAIL, message=event, actor=WORKER
            )
    return bool(settled)


def _on_a_fresh_connection(write: Callable[[], T], *, until: float) -> T:
    """`write`, retried on a new database connection when the one it ran on was lost (the
    server restarted, the session was killed) until time.monotonic() reaches `until`."""
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError):
            if time.monotonic() >= until:
                raise
            logger.warning("The database connection was lost; retrying", exc_info=True)
            db_connection.close()
            time.sleep(0.1)


def _lease_left(message: OutboxMessage) -> float:
    """time.monotonic() when this claim's lease runs out (after which a mark may be stale)."""
    held = (message.claimed_at + _lease() - timezone.now()).total_seconds()
    return time.monotonic() + max(held, 1.0)


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer: the server will never take this email (no such mailbox, refused)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def _describe(exc: Exception) -> str:
    """The server's own words where it gave some (`550 5.1.1 No such user`)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reason = exc.smtp_error
        reason = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        return f"{exc.smtp_code} {reason}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reason.decode(errors='replace')}"
            for address, (code, reason) in exc.recipients.items()
        )
    return f"{type(exc).__name__}: {exc}"


def _record_failure(message: OutboxMessage, error: str, *, permanent: bool = False) -> str:
    """Count a failed try, if this claim still holds the row. A permanent failure, or a
    transient one past the row's retry period (NOTIFICATIONS_RETRY_PERIOD from the first
    failure), marks it failed for staff; else it waits for its next try (backoff)."""
    now = timezone.now()
    with transaction.atomic():
        row = _held(message).select_for_update().select_related("order").first()
        if row is None:
            return NOT_CLAIMED
        row.attempts += 1
        row.last_error = error[:2000]
        row.claimed_at = row.claim_token = None
        if row.retry_until is None:
            row.retry_until = now + timedelta(seconds=settings.NOTIFICATIONS_RETRY_PERIOD)
        if permanent or now >= row.retry_until:
            row.status = Status.FAILED
            event = f"{_label(row)} to {_to(row)} failed after {row.attempts} attempts: {error}"
            outcome = FAILED
        else:
            row.status = Status.PENDING
            row.next_attempt_at = min(now + backoff(row.attempts), row.retry_until)
            event = f"{_label(row)} to {_to(row)} not sent yet (attempt {row.attempts}): {error}"
            outcome = RETRY
        row.save(
            update_fields=[
                "attempts",
                "last_error",
                "claimed_at",
                "claim_token",
                "retry_until",
                "status",
                "next_attempt_at",
            ]
        )
        order_event_add(order=row.order, kind=OrderEvent.Kind.EMAIL, message=event, actor=WORKER)
    return outcome


def _release(message: OutboxMessage) -> str:
    """Give the claim back without counting a try (the database failed, not the email)."""

    def release() -> int:
        return _held(message).update(
            status=Status.PENDING,
            claimed_at=None,
            claim_token=None,
            next_attempt_at=timezone.now() + backoff(1),
        )

    try:
        released = _on_a_fresh_connection(release, until=_lease_left(message))
    except DatabaseError:
        logger.exception("Outbox message %s left to its lease", message.pk)
        return NOT_CLAIMED
    return RETRY if released else NOT_CLAIMED


class _LeaseKeeper:
    """Renews a claim's lease while its SMTP conversation lasts, from a thread of its own (with
    its own database connection), so a slow server does not let a second worker send it."""

    def __init__(self, message: OutboxMessage):
        self.message = message
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "_LeaseKeeper":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()

    def _run(self) -> None:
        every = _lease().total_seconds() / 3
        try:
            while not self.done.wait(every):
                try:
                    _held(self.message).update(claimed_at=timezone.now())
                except DatabaseError:
                    logger.warning("Renewing the lease of outbox message failed", exc_info=True)
                    db_connection.close()
        finally:
            db_connection.close()


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox message, if it is due and nobody else holds it.

    Guarantees: only the worker whose claim is current sends, marks or fails the row (a claim
    token fences it), and its lease is renewed while the SMTP conversation lasts; the email is
    rendered from the order as it is now and carries the row's Message-ID; the serial codes it
    carries are marked delivered before it leaves (never to be returned to the pool); a sent
    email is marked sent (on a fresh database connection if the first was lost) and the
    timeline says "sent" only when the mark matched; a 5xx answer fails it at once with the
    server's reason; a transient failure is retried with backoff for
    NOTIFICATIONS_RETRY_PERIOD; a database error while rendering gives the claim back without
    counting a try.
    """
    message = _claim(message_id)
    if message is None:
        return NOT_CLAIMED
    if message.kind in OutboxMessage.PURCHASE_ORDER_KINDS:
        return _deliver_purchase_order(message)
    try:
        rendered = render_email(message)
    except EmailSkipped as skipped:
        _finish(message, status=Status.SKIPPED, event=str(skipped), claimed_at=None)
        return SKIPPED
    except DatabaseError:
        logger.exception("Outbox message %s: the database failed while rendering", message.pk)
        return _release(message)
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
    return _send_rendered(message, rendered)


def _send_rendered(message: OutboxMessage, rendered: RenderedEmail) -> str:
    """Hand the rendered email to the SMTP server under a renewed lease, then mark the row sent
    (or record the failure), each on a fresh database connection if the first was lost."""
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
    return _send(message, email, connection)


def _send(message: OutboxMessage, email: EmailMultiAlternatives, connection) -> str:
    """Send the claimed message's email and mark the row: SENT, or the failure counted."""
    try:
        # Opened here and closed only after the sent-mark: between the server's acceptance
        # (its answer to DATA) and the mark there is nothing but the mark, not even QUIT.
        with _LeaseKeeper(message):
            connection.open()
            email.send()
    except (smtplib.SMTPException, OSError) as exc:
        _hang_up(connection)
        error, permanent = _describe(exc), _is_permanent(exc)
        return _fail_fenced(message, error, permanent=permanent)
    try:
        return _mark_sent(message, f"{_label(message)} sent to {_to(message)}.")
    finally:
        _hang_up(connection)


def _mark_sent(message: OutboxMessage, event: str) -> str:
    """SENT once the mark matched this worker's claim (retried on a fresh connection while the
    lease lasts), NOT_CLAIMED if another worker's claim replaced it meanwhile."""
    marked = _on_a_fresh_connection(
        lambda: _finish(message, status=Status.SENT, event=event, sent_at=timezone.now()),
        until=_lease_left(message),
    )
    return SENT if marked else NOT_CLAIMED


def _fail_fenced(message: OutboxMessage, error: str, *, permanent: bool) -> str:
    """The failure recorded under this worker's claim, on a fresh connection if need be."""
    return _on_a_fresh_connection(
        lambda: _record_failure(message, error, permanent=permanent),
        until=_lease_left(message),
    )


def _deliver_purchase_order(message: OutboxMessage) -> str:
    """A PO (or its cancellation) to its vendor: an email with the PO as PDF and CSV when the
    row has an address, else the 850 written to the vendor's inbound folder (a retry replaces
    the file: its name is fixed by the PO and control numbers). A transport failure counts a
    try like an SMTP one (a changed host key or a bad login fails it at once, for staff)."""
    ids = {
        "order_id": message.order_id,
        "label": message.subject_key,
        "cancel": message.kind == OutboxMessage.Kind.PURCHASE_ORDER_CANCEL,
    }
    if message.to_email:
        try:
            built = po_email_build(**ids)
        except DatabaseError:
            return _release(message)
        except Exception as exc:
            logger.exception("Outbox message %s could not be rendered", message.pk)
            return _record_failure(message, f"{type(exc).__name__}: {exc}")
        connection = get_connection(timeout=settings.NOTIFICATIONS_SMTP_TIMEOUT)
        chosen = sender()
        email = EmailMultiAlternatives(
            subject=built.subject,
            body=built.body,
            from_email=chosen.from_email,
            to=built.to,
            reply_to=[chosen.reply_to] if chosen.reply_to else None,
            headers={"Message-ID": message.message_id},
            connection=connection,
        )
        for name, content, mimetype in built.attachments:
            email.attach(name, content, mimetype)
        outcome = _send(message, email, connection)
    else:
        try:
            with _LeaseKeeper(message):
                where = po_edi_put(**ids)
        except DatabaseError:
            return _release(message)
        except TransportError as exc:
            return _fail_fenced(message, str(exc), permanent=exc.permanent)
        outcome = _mark_sent(message, f"{_label(message)} written to {where}.")
    if outcome == SENT:
        po_mark_transmitted(order_id=message.order_id, label=message.subject_key)
    return outcome


def _hang_up(connection) -> None:
    """Close the SMTP connection; the email's fate is settled, so a failing QUIT is only logged."""
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        logger.warning("Closing the SMTP connection failed", exc_info=True)


@transaction.atomic
def outbox_retry(*, message_id: int, actor: Actor) -> OutboxMessage:
    """Staff's retry of a failed email: it gets a fresh set of attempts, now.

    Guarantees: only a failed message moves (else NotificationError); it gets a fresh retry
    period; the timeline records who asked; the worker gets it after commit.
    """
    message = OutboxMessage.objects.select_for_update().select_related("order").get(pk=message_id)
    if message.status != Status.FAILED:
        raise NotificationError(
            f"The {_label(message).lower()} is {message.get_status_display().lower()}, not failed."
        )
    message.status = Status.PENDING
    message.attempts = 0
    message.next_attempt_at = message.handed_at = timezone.now()
    message.retry_until = None
    message.save(
        update_fields=["status", "attempts", "next_attempt_at", "handed_at", "retry_until"]
    )
    order_event_add(
        order=message.order,
        kind=OrderEvent.Kind.EMAIL,
        message=f"{_label(message)} to {_to(message)} retried.",
        actor=actor,
    )
    transaction.on_commit(lambda: outbox_hand_to_worker(message.pk))
    return message


def outbox_retry_all(*, actor: Actor) -> int:
    """Staff's "retry all" on the failed-emails page: every failed email, as outbox_retry.
    Returns how many were retried (in one transaction; each row locked, in pk order)."""
    with transaction.atomic():
        pks = list(
            OutboxMessage.objects.filter(status=Status.FAILED)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        for pk in pks:
            outbox_retry(message_id=pk, actor=actor)
    return len(pks)


def outbox_sweep(*, everything: bool = False) -> int:
    """Re-hand to the worker what is still waiting: rows due for a while (the broker was down
    when they were handed) and `sending` claims older than the lease (the worker died).

    Guarantees: a row is re-handed only if its last hand-off is older than
    NOTIFICATIONS_REHAND_AFTER (a worker that is down does not get a task per row per tick),
    unless `everything` (the worker's sweep when it starts: what the broker held may be gone);
    a row handed twice is still sent once (the claim). Returns how many were handed."""
    now = timezone.now()
    due = now - timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE)
    waiting = OutboxMessage.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=due)
        | Q(status=Status.SENDING, claimed_at__lt=now - _lease())
    )
    if not everything:
        rehand_before = now - timedelta(seconds=settings.NOTIFICATIONS_REHAND_AFTER)
        waiting = waiting.filter(Q(handed_at__isnull=True) | Q(handed_at__lt=rehand_before))
    pks = list(
        waiting.order_by("next_attempt_at").values_list("pk", flat=True)[
            : settings.NOTIFICATIONS_SWEEP_BATCH
        ]
    )
    OutboxMessage.objects.filter(pk__in=pks).update(handed_at=now)
    for pk in pks:
        outbox_hand_to_worker(pk)
    return len(pks)
