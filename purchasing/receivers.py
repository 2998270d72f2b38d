"""orders' signals, as purchasing follows them (connected in PurchasingConfig.ready)."""

from orders.models import OrderStatus

from .services import order_pos_cancel


def on_order_status_changed(sender, *, order, from_status, to_status, actor, **kwargs):
    """Rolling back or cancelling an order cancels its open POs (vendors told), or is refused
    when a vendor already shipped some of it."""
    if to_status in (OrderStatus.PENDING, OrderStatus.CANCELLED):
        order_pos_cancel(order=order, to_status=to_status, actor=actor)
