"""The customer emails payments sends. Queued by a request, sent by the worker, never by the
request itself; each one leaves its trace in the order's timeline."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from orders.actors import Actor
from orders.formatting import money
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_event_add

from .services import PaymentError

WORKER = Actor.system("Email worker")


@transaction.atomic
def payment_update_request_queue(*, order_id: int, actor: Actor) -> Order:
    """Ask the worker to email the customer of a pending order to update their payment method.

    Guarantees: only for an order waiting for payment; the timeline records the request; the
    task is handed to the broker only once this commits.
    """
    from .tasks import payment_update_request_send as task

    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        raise PaymentError(
            f"Order #{order.number} is {order.get_status_display()}: it is not waiting for payment."
        )
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.EMAIL,
        message=f"Payment update request queued for {order.customer_email}.",
        actor=actor,
    )
    transaction.on_commit(lambda: task.delay(order.pk))
    return order


def payment_update_request_send(*, order_id: int) -> str:
    """Send the "please update your payment method" email, unless the order was paid (or
    cancelled) since it was queued. Returns what happened, for the task's result."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "Payment update request not sent: the order was deleted."
    if order.status != OrderStatus.PENDING:
        message = f"Payment update request not sent: the order is {order.get_status_display()} now."
        order_event_add(order=order, kind=OrderEvent.Kind.EMAIL, message=message, actor=WORKER)
        return message
    context = {
        "store_name": settings.STORE_NAME,
        "order": order,
        "total": money(order.total, order.currency),
        "customer_name": order.customer_name,
    }
    subject = f"{settings.STORE_NAME}: please update your payment method for order #{order.number}"
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("payments/email/payment_update_request.txt", context),
        to=[order.customer_email],
    )
    email.attach_alternative(
        render_to_string("payments/email/payment_update_request.html", context), "text/html"
    )
    email.send()
    message = f"Payment update request sent to {order.customer_email}."
    order_event_add(order=order, kind=OrderEvent.Kind.EMAIL, message=message, actor=WORKER)
    return message
