"""The customer emails payments asks for. notifications writes them to its outbox and the worker
sends them, never the request itself; each one leaves its trace in the order's timeline."""

from django.db import transaction

from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_event_add

from .services import PaymentError
from .signals import payment_update_requested


@transaction.atomic
def payment_update_request_queue(*, order_id: int, actor: Actor) -> Order:
    """Ask the worker to email the customer of a pending order to update their payment method.

    Guarantees: only for an order waiting for payment; the timeline records the request;
    `payment_update_requested` is sent in this transaction, so the email is queued with it.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        raise PaymentError(
            f"Order #{order.number} is {order.get_status_display()}: it is not waiting for payment."
        )
    event = order_event_add(
        order=order,
        kind=OrderEvent.Kind.EMAIL,
        message=f"Payment update request queued for {order.customer_email}.",
        actor=actor,
    )
    payment_update_requested.send(sender=Order, order=order, actor=actor, event=event)
    return order
