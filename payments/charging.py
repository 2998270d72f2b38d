"""Charging an order through the active gateway (the order page's *Charge $X.XX* button)."""

import logging
from dataclasses import dataclass

from django.db import transaction

from core.formatting import money_label
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.risk import order_gateway_checks_apply
from orders.services import OrderError, order_event_add

from .gateways import client_for
from .gateways.base import ChargeResult, GatewayClient, GatewayTimeout, GatewayUnavailable
from .models import Gateway, Payment, PaymentAttempt
from .services import PaymentError, PaymentInfo, order_mark_paid

logger = logging.getLogger(__name__)


class NoGatewayConfigured(PaymentError):
    def __init__(self):
        super().__init__("No payment gateway is configured.")


@dataclass(frozen=True)
class ChargeOutcome:
    approved: bool
    message: str
    attempt: PaymentAttempt | None = None
    # Approved, but the gateway's card checks failed ("the card's CVV check failed"): the order
    # is held for review. "" otherwise.
    held: str = ""


def order_charge(*, order_id: int, actor: Actor) -> ChargeOutcome:
    """Charge the order's payment token through the active gateway, for the order's total.

    Guarantees: no transaction is open and no row is locked while the gateway is asked (the
    order is locked only once it has answered); every answer is kept as a
    PaymentAttempt; approved → the order is paid with all its effects, and its fraud rating
    takes the gateway's AVS/CVV results; approved with a failed AVS or CVV check → the same,
    and the order is held for review (the message and the timeline say which check);
    declined or timed out → the order is unchanged but for its timeline. If another path paid the order while the gateway was answering, this
    charge is refunded at once, so the customer never pays twice.

    The gateway's idempotency key is the attempt's number: a retry after a timeout reuses it,
    so if the first request did charge, the gateway answers with that charge instead of
    charging again. Raises PaymentError (NoGatewayConfigured included) when nothing can be
    tried.
    """
    order, gateway = _chargeable(order_id)
    amount = money_label(order.total, order.currency)
    client = client_for(gateway)
    try:
        result = client.charge(
            amount=order.total,
            currency=order.currency,
            token=order.payment_token,
            order_number=order.number,
            idempotency_key=_idempotency_key(order),
        )
    except (GatewayTimeout, GatewayUnavailable) as exc:
        return _unanswered(order, gateway, actor, exc, amount)
    if not result.approved:
        reason = result.message or result.decline_code or "no reason given"
        message = f"Charge of {amount} declined: {reason}"
        attempt = _record(
            order, gateway, actor, PaymentAttempt.Outcome.DECLINED, result=result, message=message
        )
        return ChargeOutcome(approved=False, message=message, attempt=attempt)
    attempt = _record(order, gateway, actor, PaymentAttempt.Outcome.APPROVED, result=result)
    try:
        earlier = _apply_charge(order, gateway, result, actor, amount)
    except OrderError as exc:
        return _undo_charge(order, gateway, client, result, actor, attempt, reason=str(exc))
    if earlier is not None:
        return _charged_before(order, earlier, attempt)
    return _approved(order, result, actor, attempt, amount)


def _chargeable(order_id: int) -> tuple[Order, Gateway]:
    """The order and the active gateway, or PaymentError saying why it cannot be charged."""
    order = Order.objects.get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        raise PaymentError(
            f"Order #{order.number} is {order.get_status_display()}: only pending orders "
            "can be charged."
        )
    gateway = Gateway.objects.active()
    if gateway is None:
        raise NoGatewayConfigured()
    if not order.payment_token:
        raise PaymentError(
            f"Order #{order.number} has no card to charge: the storefront sent no payment "
            "token. Ask the customer to pay again, or record an offline payment."
        )
    return order, gateway


def _idempotency_key(order: Order) -> str:
    """The attempt's number: a retry after a timeout reuses it (timeouts are not counted)."""
    tried = PaymentAttempt.objects.filter(order=order).exclude(
        outcome=PaymentAttempt.Outcome.TIMEOUT
    )
    return f"order-{order.number}-attempt-{tried.count() + 1}"


def _unanswered(
    order: Order,
    gateway: Gateway,
    actor: Actor,
    exc: GatewayTimeout | GatewayUnavailable,
    amount: str,
) -> ChargeOutcome:
    """The gateway timed out or could not take the charge: kept as an attempt, nothing else."""
    if isinstance(exc, GatewayTimeout):
        logger.warning("Charge of order #%s timed out: %s", order.number, exc)
        outcome = PaymentAttempt.Outcome.TIMEOUT
        message = (
            f"The gateway ({gateway.name}) did not answer; nothing was charged as far as we "
            "know — try again."
        )
    else:
        logger.warning("Charge of order #%s failed: %s", order.number, exc)
        outcome = PaymentAttempt.Outcome.ERROR
        message = f"{gateway.name} could not take the charge of {amount}: {exc}"
    attempt = _record(order, gateway, actor, outcome, message=message)
    return ChargeOutcome(approved=False, message=message, attempt=attempt)


def _apply_charge(
    order: Order, gateway: Gateway, result: ChargeResult, actor: Actor, amount: str
) -> Payment | None:
    """Mark the order paid by an approved charge, unless the charge was applied before: then
    that earlier payment, and nothing changes. Raises OrderError when the order cannot be paid."""
    with transaction.atomic():
        # The gateway has answered: locking now waits on nobody outside. Under the lock, a
        # charge already applied (a concurrent click with the same idempotency key gets
        # the same transaction) is recognised, even if it was rolled back since.
        Order.objects.select_for_update().get(pk=order.pk)
        earlier = Payment.objects.filter(
            order=order, gateway=gateway, transaction_id=result.transaction_id
        ).first()
        if earlier is None:
            order_mark_paid(
                order_id=order.pk,
                payment=PaymentInfo(
                    method=Payment.Method.GATEWAY,
                    amount=order.total,
                    authorization_code=result.authorization_code,
                    transaction_id=result.transaction_id,
                    gateway_id=gateway.pk,
                ),
                actor=actor,
                note=f"Charged {amount} through {gateway.name}.",
            )
    return earlier


def _charged_before(order: Order, earlier: Payment, attempt: PaymentAttempt) -> ChargeOutcome:
    if earlier.status == Payment.Status.CAPTURED:
        message = f"Order #{order.number} is paid by this charge."
        return ChargeOutcome(approved=True, message=message, attempt=attempt)
    message = (
        f"This charge was applied to order #{order.number} before and has been "
        f"{earlier.get_status_display().lower()} since: nothing changed."
    )
    return ChargeOutcome(approved=False, message=message, attempt=attempt)


def _approved(
    order: Order, result: ChargeResult, actor: Actor, attempt: PaymentAttempt, amount: str
) -> ChargeOutcome:
    """The charge paid the order: its fraud rating takes the gateway's card checks, and a
    failed AVS or CVV check holds it for review and says so."""
    held = order_gateway_checks_apply(
        order=order,
        avs=result.avs,
        cvv=result.cvv,
        payment=f"an approved charge of {amount}",
        actor=actor,
    )
    code = f"authorization code {result.authorization_code}" if result.authorization_code else ""
    if held:
        message = f"Charged {amount}: approved — but {held}; the order is held for review" + (
            f" ({code})." if code else "."
        )
    else:
        message = f"Charged {amount}: approved" + (f", {code}." if code else ".")
    return ChargeOutcome(approved=True, message=message, attempt=attempt, held=held)


def _record(
    order: Order,
    gateway: Gateway,
    actor: Actor,
    outcome: str,
    *,
    result: ChargeResult | None = None,
    message: str = "",
) -> PaymentAttempt:
    """The attempt, and (but for approvals, which order_mark_paid tells) its timeline line."""
    result = result or ChargeResult(approved=False)
    with transaction.atomic():
        attempt = PaymentAttempt.objects.create(
            order=order,
            gateway=gateway,
            amount=order.total,
            outcome=outcome,
            decline_code=result.decline_code,
            message=(message or result.message)[:300],
            transaction_id=result.transaction_id,
            authorization_code=result.authorization_code,
            avs_result=result.avs,
            cvv_result=result.cvv,
            actor=actor.user,
        )
        if outcome != PaymentAttempt.Outcome.APPROVED:
            order_event_add(order=order, kind=OrderEvent.Kind.PAYMENT, message=message, actor=actor)
    return attempt


def _undo_charge(
    order: Order,
    gateway: Gateway,
    client: GatewayClient,
    result: ChargeResult,
    actor: Actor,
    attempt: PaymentAttempt,
    *,
    reason: str,
) -> ChargeOutcome:
    """The gateway took the money but the order could not be paid with it (another path paid
    it first, its total changed, stock ran out): give the money back now, outside any lock."""
    live = Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).first()
    amount = money_label(order.total, order.currency)
    try:
        refund = client.refund(
            transaction_id=result.transaction_id,
            amount=order.total,
            idempotency_key=f"undo-{result.transaction_id}",
        )
        refunded, detail = refund.ok, refund.message
    except (GatewayTimeout, GatewayUnavailable) as exc:
        refunded, detail = False, str(exc)
    if refunded:
        what = "the duplicate charge was refunded"
    else:
        logger.error(
            "Charge %s of order #%s could not be refunded: %s",
            result.transaction_id,
            order.number,
            detail,
        )
        what = (
            f"refunding the charge failed ({detail}): refund transaction "
            f"{result.transaction_id} in {gateway.name}'s dashboard"
        )
    if live:
        message = f"Order #{order.number} was already paid; {what}."
    else:
        message = f"The charge of {amount} could not be applied ({reason}); {what}."
    order_event_add(order=order, kind=OrderEvent.Kind.PAYMENT, message=message, actor=actor)
    return ChargeOutcome(approved=False, message=message, attempt=attempt)
