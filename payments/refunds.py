"""Refunds the back office asks the gateway for (a rollback or a cancel of a gateway payment),
run by the worker after the rollback committed."""

import logging

from django.db import transaction

from core.formatting import money_label
from orders.actors import Actor
from orders.models import Order, OrderEvent
from orders.services import order_event_add

from .gateways import client_for
from .models import Payment

logger = logging.getLogger(__name__)
NOTHING_TO_DO = "nothing to do"


def payment_refund_request(*, payment_id: int) -> str:
    """Ask the payment's gateway to refund it, and record the answer.

    Guarantees: only a payment waiting for its refund (REFUND_PENDING) is refunded, so running
    this twice, or after the gateway's own refund notification, does nothing more ("nothing
    to do"); the gateway is asked outside any transaction, with the idempotency key
    `refund-<payment id>`, so a retried request is one refund; a timeout or an unavailable
    gateway raises, for the task to retry; the answer (refunded, or failed with the reason)
    is saved with a line in the order's timeline.
    """
    payment = Payment.objects.select_related("gateway").filter(pk=payment_id).first()
    if payment is None or payment.status != Payment.Status.REFUND_PENDING:
        return NOTHING_TO_DO
    if payment.gateway is None or not payment.transaction_id:
        return _record(payment_id, ok=False, reference="", reason="no gateway transaction")
    result = client_for(payment.gateway).refund(
        transaction_id=payment.transaction_id,
        amount=payment.amount,
        idempotency_key=f"refund-{payment_id}",
    )
    return _record(payment_id, ok=result.ok, reference=result.refund_id, reason=result.message)


@transaction.atomic
def _record(payment_id: int, *, ok: bool, reference: str, reason: str) -> str:
    order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
    # The order first, then the payment: the order the rollback and notifications lock in.
    order = Order.objects.select_for_update().get(pk=order_id)
    payment = (
        Payment.objects.select_for_update(of=("self",)).select_related("gateway").get(pk=payment_id)
    )
    if payment.status != Payment.Status.REFUND_PENDING:
        return NOTHING_TO_DO  # the gateway's notification confirmed it meanwhile
    amount = money_label(payment.amount, payment.currency)
    gateway = payment.gateway.name if payment.gateway else "the gateway"
    if ok:
        payment.status = Payment.Status.REFUNDED
        payment.refund_reference = reference[:100]
        message = f"Refund of {amount} confirmed by {gateway}" + (
            f" (reference {reference})." if reference else "."
        )
    else:
        payment.status = Payment.Status.REFUND_FAILED
        message = (
            f"Refund of {amount} failed at {gateway}: {reason or 'no reason given'}. "
            "Refund it in the gateway's dashboard."
        )
        logger.error("Refund of payment %s failed: %s", payment_id, reason)
    payment.save(update_fields=["status", "refund_reference", "updated_at"])
    order_event_add(
        order=order, kind=OrderEvent.Kind.PAYMENT, message=message, actor=Actor.system("Worker")
    )
    return "refunded" if ok else f"failed: {reason}"
