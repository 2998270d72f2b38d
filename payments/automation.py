"""Automatic charging: new orders are charged by the worker when the store turns it on.

High-risk orders are held for a person to review (seed 002, step 3,
orders.risk.order_hold_for_review): the timeline says so and nothing is charged. A charge the
gateway approves despite a failed card check is held the same way (payments.charging).
"""

from django.db import transaction

from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus, RiskLevel
from orders.risk import order_hold_for_review
from orders.services import order_event_add

from .models import PaymentSettings

ACTOR = Actor.system("Automatic charging")


def on_order_placed(sender, *, order: Order, **kwargs) -> None:
    """Connected in PaymentsConfig.ready(); runs inside the order's creating transaction."""
    if order.status != OrderStatus.PENDING or not order.payment_token:
        return
    if not PaymentSettings.load().auto_charge:
        return
    if order.risk_level == RiskLevel.HIGH:
        order_hold_for_review(
            order=order,
            why="high fraud risk, so it was not charged automatically. Review it and charge by hand.",
            actor=ACTOR,
        )
        return
    from .tasks import order_auto_charge

    transaction.on_commit(lambda: order_auto_charge.delay(order.pk))


def order_auto_charge_run(*, order_id: int) -> str:
    """The worker's side: charge the order if it still waits for payment."""
    from .charging import order_charge
    from .services import PaymentError

    try:
        outcome = order_charge(order_id=order_id, actor=ACTOR)
    except PaymentError as exc:
        order = Order.objects.get(pk=order_id)
        order_event_add(
            order=order,
            kind=OrderEvent.Kind.PAYMENT,
            message=f"Automatic charging did not charge this order: {exc}",
            actor=ACTOR,
        )
        return str(exc)
    return outcome.message
