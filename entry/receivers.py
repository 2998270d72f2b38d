"""entry's receivers of orders' signals (connected in EntryConfig.ready())."""

from orders.models import OrderStatus
from promotions.services import code_uses_release


def on_order_status_changed(sender, *, order, from_status, to_status, **kwargs):
    """An order cancelled before it was ever paid gives its codes' uses back: promotions
    cannot hear orders' signal itself (it sits below orders), so entry relays it."""
    if to_status == OrderStatus.CANCELLED and order.first_paid_at is None:
        code_uses_release(order_id=order.pk)
