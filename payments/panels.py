"""The payment section of the order page, registered with orders' panels in PaymentsConfig.ready().

An action that fails validation (an offline payment with a wrong amount) re-renders the order
page with its bound form: the view leaves the form on the request, the panel picks it up.
"""

from django.http import HttpRequest

from orders.models import Order, OrderStatus
from orders.panels import Panel

from . import selectors
from .forms import ManualPaymentForm

_BOUND_FORM = "_payments_manual_form"


def keep_manual_form(request: HttpRequest, form: ManualPaymentForm) -> None:
    """Show this (invalid) form in the panel instead of a blank one."""
    setattr(request, _BOUND_FORM, form)


def payment_panel(request: HttpRequest, order: Order) -> dict:
    user = request.user
    pending = order.status == OrderStatus.PENDING
    context = {
        "data": selectors.order_payments(user=user, order=order),
        "can_charge": pending
        and bool(order.payment_token)
        and user.has_perm("payments.charge_order"),
        "manual_form": None,
    }
    if pending and user.has_perm("payments.record_manual_payment"):
        context["manual_form"] = getattr(request, _BOUND_FORM, None) or ManualPaymentForm(
            total=order.total, currency=order.currency
        )
    return context


PAYMENT_PANEL = Panel(
    name="payments",
    template="payments/_order_panel.html",
    context=payment_panel,
    column="actions",
    position=10,
)
