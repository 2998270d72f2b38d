"""The gateways' server-to-server notifications ("silent responses"): verified, stored once,
applied once."""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from core.formatting import money_label
from core.text import nul_paths
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.risk import order_gateway_checks_apply
from orders.services import OrderError, order_event_add, order_transition

from .gateways import client_for
from .gateways.base import InvalidNotification, NotificationEvent
from .models import Gateway, GatewayNotification, Payment, PaymentAttempt
from .services import AlreadyPaid, PaymentError, PaymentInfo, order_mark_paid

logger = logging.getLogger(__name__)
Outcome = GatewayNotification.Outcome
BIGINT_MAX = 2**63 - 1


class UnknownGateway(PaymentError):
    """No active gateway has this id: the notification's URL is wrong or the gateway is off."""


@dataclass(frozen=True)
class NotificationResult:
    outcome: str  # a GatewayNotification.Outcome
    duplicate: bool  # a replay of an event already received: nothing was changed
    notification_id: int | None
    message: str = ""


def notification_receive(
    *, gateway_id: int, body: bytes, headers: Mapping[str, str], now: datetime | None = None
) -> NotificationResult:
    """Verify a gateway's notification and apply it to its order, once.

    Guarantees: the signature is checked on the raw body before anything else, and a forged,
    stale or malformed notification raises InvalidNotification with nothing stored or changed
    (the reason is logged); an accepted one is stored and applied in one transaction, keyed by
    the gateway's event id, so a replay (even a concurrent one) changes nothing and reports
    `duplicate`. Paid events pay the order as `order_mark_paid` does (exactly once, whatever
    other path races them); refunds roll a paid order back without asking the gateway for the
    refund again.
    """
    gateway = Gateway.objects.filter(pk=gateway_id, is_active=True).first()
    if gateway is None:
        raise UnknownGateway(f"No active gateway {gateway_id}.")
    try:
        event = client_for(gateway).parse_notification(
            body=body, headers=headers, now=now or timezone.now()
        )
        _check_fits(event, body)
    except InvalidNotification as exc:
        logger.warning("Rejected a notification to gateway %s (%s): %s", gateway.pk, gateway, exc)
        raise
    actor = Actor.system(f"Gateway notification: {gateway.name}"[:100])
    with transaction.atomic():
        notification_id = _insert_once(gateway, event, body)
        if notification_id is None:
            outcome = (
                GatewayNotification.objects.filter(gateway=gateway, event_id=event.event_id)
                .values_list("outcome", flat=True)
                .first()
            )
            return NotificationResult(outcome=outcome or "", duplicate=True, notification_id=None)
        order = _order(event.order_number)
        apply = APPLY.get(event.kind, _apply_other)
        outcome, message = apply(gateway, event, order, actor) if order else _no_order(event)
        GatewayNotification.objects.filter(pk=notification_id).update(outcome=outcome, order=order)
    return NotificationResult(
        outcome=outcome, duplicate=False, notification_id=notification_id, message=message
    )


def _check_fits(event: NotificationEvent, body: bytes) -> None:
    """What the columns can hold: ids and types within their lengths, and no NUL anywhere in
    the body (the stored payload is jsonb, which refuses one even escaped as \\u0000)."""
    nul_at = next(nul_paths(json.loads(body)), None)
    if nul_at is not None:
        where = ".".join(map(str, nul_at)) or "the body"
        raise InvalidNotification(f"malformed body: a NUL character in {where}")
    event_id_max = GatewayNotification._meta.get_field("event_id").max_length
    type_max = GatewayNotification._meta.get_field("event_type").max_length
    if len(event.event_id) > event_id_max or len(event.event_type) > type_max:
        raise InvalidNotification("malformed body: event id or type too long")


def _insert_once(gateway: Gateway, event: NotificationEvent, body: bytes) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING: the new row's id, or None if the event was already
    received. A concurrent insert of the same event waits for the first to commit."""
    table = GatewayNotification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 (the table name is ours, values are parameters)
            "(gateway_id, event_id, event_type, payload, outcome, received_at) "
            "VALUES (%s, %s, %s, %s::jsonb, '', %s) "
            "ON CONFLICT (gateway_id, event_id) DO NOTHING RETURNING id",
            [
                gateway.pk,
                event.event_id,
                event.event_type,
                json.dumps(json.loads(body)),
                timezone.now(),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _order(number: int | None) -> Order | None:
    """The order, locked: whatever the event does to it happens under the order's lock, the
    one every path that pays or rolls back takes first."""
    if number is None or not 0 < number <= BIGINT_MAX:
        return None
    return Order.objects.select_for_update().filter(number=number).first()


def _no_order(event: NotificationEvent) -> tuple[str, str]:
    if event.kind == "other":
        return Outcome.IGNORED, f"{event.event_type}: nothing to do."
    logger.warning(
        "Notification %s (%s) names no order of ours: %s",
        event.event_id,
        event.event_type,
        event.order_number,
    )
    return Outcome.IGNORED, f"No order #{event.order_number}."


def _note(order: Order, message: str, actor: Actor) -> None:
    order_event_add(order=order, kind=OrderEvent.Kind.PAYMENT, message=message, actor=actor)


def _apply_paid(gateway, event: NotificationEvent, order: Order, actor: Actor):
    if event.amount is None:
        _note(order, f"{gateway.name} reported a payment without an amount: not applied.", actor)
        return Outcome.IGNORED, "No amount."
    amount = money_label(event.amount, order.currency)
    spent = (
        Payment.objects.filter(order=order, gateway=gateway, transaction_id=event.transaction_id)
        .exclude(transaction_id="")
        .exclude(status=Payment.Status.CAPTURED)
        .first()
    )
    if spent:
        # A late report of a payment since rolled back: its money went (or goes) back.
        _note(
            order,
            f"{gateway.name} reported the payment {event.transaction_id}, which was "
            f"{spent.get_status_display().lower()} since: not applied again.",
            actor,
        )
        return Outcome.IGNORED, "That payment was reversed since."
    try:
        order_mark_paid(
            order_id=order.pk,
            payment=PaymentInfo(
                method=Payment.Method.NOTIFICATION,
                amount=event.amount,
                authorization_code=event.authorization_code,
                transaction_id=event.transaction_id,
                gateway_id=gateway.pk,
            ),
            actor=actor,
            note=f"{gateway.name} reported the payment.",
        )
    except AlreadyPaid:
        _note_if_paid_twice(gateway, event, order, amount, actor)
        return Outcome.ALREADY_PAID, "The order was already paid."
    except OrderError as exc:  # the amount is not the order's total; stock ran out
        _note(order, f"{gateway.name} reported a payment of {amount}; not applied: {exc}", actor)
        return Outcome.IGNORED, str(exc)
    order_gateway_checks_apply(
        order=order,
        avs=event.avs,
        cvv=event.cvv,
        payment=f"the payment of {amount} {gateway.name} reported",
        actor=actor,
    )
    return Outcome.PAID, "The order is paid."


def _note_if_paid_twice(gateway, event: NotificationEvent, order: Order, amount: str, actor):
    """A payment reported for an order already paid: fine if it is the order's live payment;
    otherwise money the gateway took that is not, and someone must look."""
    live = Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).first()
    if live and live.gateway_id == gateway.pk and live.transaction_id == event.transaction_id:
        return
    order.refresh_from_db(fields=["status"])
    _note(
        order,
        f"{gateway.name} reported a payment of {amount} (transaction "
        f"{event.transaction_id or 'unknown'}) but the order is "
        f"{order.get_status_display()}: if the customer was charged twice, refund it "
        "in the gateway.",
        actor,
    )


def _apply_declined(gateway, event: NotificationEvent, order: Order, actor: Actor):
    amount = f" of {money_label(event.amount, order.currency)}" if event.amount is not None else ""
    reason = event.message or "no reason given"
    _note(order, f"Payment{amount} declined at {gateway.name}: {reason}", actor)
    return Outcome.DECLINED, reason


def _apply_refunded(gateway, event: NotificationEvent, order: Order, actor: Actor):
    """A refund made at the gateway (its dashboard, or the one we asked for). The payment is
    marked refunded before the order is rolled back, so the rollback finds no live payment
    and does not ask the gateway for the refund again."""
    payment = (  # locked after the order, as a rollback locks them
        Payment.objects.select_for_update()
        .filter(order=order, gateway=gateway, transaction_id=event.transaction_id)
        .exclude(transaction_id="")
        .order_by("-id")
        .first()
    )
    if payment is None:
        return _apply_refund_of_no_payment(gateway, event, order, actor)
    amount = money_label(
        event.amount if event.amount is not None else payment.amount, order.currency
    )
    if payment.status in {Payment.Status.REFUNDED, Payment.Status.REVERSED}:
        return Outcome.IGNORED, "Already refunded."
    if event.amount is not None and event.amount < payment.amount:
        _note(
            order,
            f"{gateway.name} reported a partial refund of {amount} of the "
            f"{money_label(payment.amount, order.currency)} paid: the order is unchanged.",
            actor,
        )
        return Outcome.IGNORED, "Partial refund."
    was_live = payment.status == Payment.Status.CAPTURED
    payment.status = Payment.Status.REFUNDED
    payment.refund_reference = payment.refund_reference or event.event_id[:100]
    payment.save(update_fields=["status", "refund_reference", "updated_at"])
    if not was_live:  # the refund we asked for (a rollback or a cancel), confirmed
        _note(order, f"Refund of {amount} confirmed by {gateway.name}.", actor)
    elif order.status == OrderStatus.PAID:
        order_transition(
            order_id=order.pk, to=OrderStatus.PENDING, actor=actor, note="Refunded at the gateway"
        )
        _note(order, f"{gateway.name} refunded {amount}; the order is pending again.", actor)
    else:
        _note(
            order,
            f"{gateway.name} refunded {amount} while the order is "
            f"{order.get_status_display()}: cancel it if the goods should not go out.",
            actor,
        )
    return Outcome.REFUNDED, "Refunded."


def _apply_refund_of_no_payment(gateway, event: NotificationEvent, order: Order, actor: Actor):
    """A refund of a transaction that is no payment of the order: a charge we refunded because
    it could not be applied, or someone else's."""
    undone = PaymentAttempt.objects.filter(
        order=order,
        gateway=gateway,
        transaction_id=event.transaction_id,
        outcome=PaymentAttempt.Outcome.APPROVED,
    ).exclude(transaction_id="")
    if undone.exists():  # a charge that could not be applied, which we refunded at once
        _note(
            order,
            f"Refund of the unapplied charge {event.transaction_id} confirmed by {gateway.name}.",
            actor,
        )
        return Outcome.REFUNDED, "Refunded."
    _note(
        order,
        f"{gateway.name} reported a refund of transaction {event.transaction_id or 'unknown'}, "
        "which is not a payment of this order: nothing changed.",
        actor,
    )
    return Outcome.IGNORED, "Not a payment of this order."


def _apply_other(gateway, event: NotificationEvent, order: Order, actor: Actor):
    return Outcome.IGNORED, f"{event.event_type}: nothing to do."


APPLY = {"paid": _apply_paid, "declined": _apply_declined, "refunded": _apply_refunded}
