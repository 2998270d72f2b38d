"""Every write to payments. The order row is the lock: whatever path pays an order (charge,
gateway notification, manual payment, the storefront's capture), it pays it exactly once."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import OrderError, order_event_add, order_transition
from orders.status import reverses_sale

from .models import Payment


class PaymentError(OrderError):
    """A payment rule was broken; the message is fit to show a user."""


class AlreadyPaid(PaymentError):
    pass


@dataclass(frozen=True)
class PaymentInfo:
    method: str
    amount: Decimal
    authorization_code: str = ""
    reference: str = ""
    transaction_id: str = ""
    gateway_id: int | None = None


@transaction.atomic
def order_mark_paid(
    *, order_id: int, payment: PaymentInfo, actor: Actor, note: str = ""
) -> Payment:
    """Record a payment and make the order paid, with all that "paid" means, exactly once.

    Guarantees: the order row is locked first, so of many concurrent attempts (charges,
    notifications, manual payments) one wins and the others get AlreadyPaid with nothing
    changed; the amount must be the order's total; the payment row, the authorization code,
    the status change and its effects (stock, units sold, serial codes, download links) commit
    together. A unique constraint backs the rule: one live payment per order.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        raise AlreadyPaid(
            f"Order #{order.number} is {order.get_status_display()}: it is not waiting for payment."
        )
    if payment.amount != order.total:
        raise PaymentError(
            f"The payment of {payment.amount} does not match the order total of {order.total}."
        )
    recorded = Payment.objects.create(
        order=order,
        method=payment.method,
        amount=payment.amount,
        currency=order.currency,
        authorization_code=payment.authorization_code,
        reference=payment.reference,
        transaction_id=payment.transaction_id,
        gateway_id=payment.gateway_id,
        recorded_by=actor.user,
        actor_label="" if actor.user else actor.label,
    )
    # The order shows the live payment's code: a check after a rolled-back card has none.
    if order.authorization_code != payment.authorization_code:
        order.authorization_code = payment.authorization_code
        order.save(update_fields=["authorization_code", "updated_at"])
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=actor, note=note, payment_recorded=True
    )
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.PAYMENT,
        message=_payment_sentence(recorded),
        actor=actor,
    )
    return recorded


def _payment_sentence(payment: Payment) -> str:
    parts = [f"{payment.get_method_display()}: {payment.amount} {payment.currency} received"]
    if payment.authorization_code:
        parts.append(f"authorization code {payment.authorization_code}")
    if payment.reference:
        parts.append(f"reference {payment.reference}")
    return ", ".join(parts) + "."


def on_order_status_changed(sender, *, order, from_status, to_status, actor, **kwargs):
    """Keep payments in step with the order (connected in PaymentsConfig.ready()).

    - Paid without a payment row (the intake's captured orders): record the storefront's,
      unless the order is free.
    - Rolled back or cancelled after payment: the live payment is reversed; one taken through a
      gateway gets a refund requested by the worker after commit (never inside this lock).
    """
    if to_status == OrderStatus.PAID:
        if order.total <= 0:
            return  # a free order: nothing was received, so there is no payment to record
        if not Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).exists():
            Payment.objects.create(
                order=order,
                method=Payment.Method.STOREFRONT,
                amount=order.total,
                currency=order.currency,
                authorization_code=order.authorization_code,
                actor_label=actor.label if not actor.user else "",
                recorded_by=actor.user,
            )
        return
    if reverses_sale(from_status, to_status):
        payment_reverse(order=order, actor=actor)


def payment_reverse(*, order: Order, actor: Actor) -> Payment | None:
    """Reverse the order's live payment (inside the caller's transaction).

    The order's authorization code was the live payment's: it goes with it (the reversed
    payment keeps it, shown as history)."""
    if order.authorization_code:
        order.authorization_code = ""
        order.save(update_fields=["authorization_code", "updated_at"])
    payment = (
        Payment.objects.select_for_update()
        .filter(order=order, status=Payment.Status.CAPTURED)
        .first()
    )
    if payment is None:
        return None
    if payment.gateway_id and payment.transaction_id:
        payment.status = Payment.Status.REFUND_PENDING
        payment.save(update_fields=["status", "updated_at"])
        from .tasks import payment_refund

        transaction.on_commit(lambda: payment_refund.delay(payment.pk))
        message = "Refund requested from the gateway."
    else:
        payment.status = Payment.Status.REVERSED
        payment.save(update_fields=["status", "updated_at"])
        message = (
            f"{payment.get_method_display()} payment reversed: return the money to the customer "
            "outside the back office."
            if payment.method in Payment.MANUAL_METHODS
            else "Payment reversed."
        )
    order_event_add(order=order, kind=OrderEvent.Kind.PAYMENT, message=message, actor=actor)
    return payment
