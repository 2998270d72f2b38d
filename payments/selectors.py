"""Every non-trivial read of payments for the back office."""

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from orders.models import Order, OrderStatus

from .models import Gateway, Payment, PaymentAttempt

ATTEMPTS_SHOWN = 10


@dataclass
class OrderPayments:
    """What the order page's payment panel shows. At most three queries, whatever the order."""

    payments: list[Payment] = field(default_factory=list)
    attempts: list[PaymentAttempt] = field(default_factory=list)
    active_gateway: Gateway | None = None

    @property
    def live(self) -> Payment | None:
        """The payment the order stands on now (at most one: a constraint)."""
        return next((p for p in self.payments if p.status == Payment.Status.CAPTURED), None)

    @property
    def history(self) -> list[Payment]:
        """Payments reversed or refunded by rollbacks and cancellations, newest first."""
        return [p for p in self.payments if p.status != Payment.Status.CAPTURED]

    @property
    def last_attempt(self) -> PaymentAttempt | None:
        return self.attempts[0] if self.attempts else None

    @property
    def last_declined(self) -> bool:
        last = self.last_attempt
        return last is not None and last.outcome == PaymentAttempt.Outcome.DECLINED


def order_payments(*, user, order: Order) -> OrderPayments:
    """The order's payments (newest first, with who recorded them), its latest charge attempts
    and, while it waits for payment, the gateway a charge would go through."""
    panel = OrderPayments()
    if user.has_perm("payments.view_payment"):
        panel.payments = list(
            Payment.objects.filter(order=order).select_related("recorded_by", "gateway")
        )
    if user.has_perm("payments.view_paymentattempt"):
        panel.attempts = list(
            PaymentAttempt.objects.filter(order=order).select_related("actor", "gateway")[
                :ATTEMPTS_SHOWN
            ]
        )
    if order.status == OrderStatus.PENDING:
        panel.active_gateway = Gateway.objects.active()
    return panel


def order_to_pay(*, number: int) -> Order:
    """Just what paying an order checks a form against: its id, total and currency."""
    order = Order.objects.only("pk", "number", "total", "currency").filter(number=number).first()
    if order is None:
        raise Http404(f"No order #{number}.")
    return order


def gateway_list(*, user) -> QuerySet[Gateway]:
    return Gateway.objects.order_by("-is_active", "name", "pk")
