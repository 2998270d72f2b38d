"""orders' signals, as purchasing follows them (connected in PurchasingConfig.ready)."""

import logging

from django.db import transaction

from orders.models import OrderStatus

from .models import PurchasingSettings
from .services import order_pos_cancel

logger = logging.getLogger(__name__)


def _hand_to_worker(order_id: int) -> None:
    from .tasks import po_automate

    try:
        po_automate.delay(order_id)
    except Exception:
        logger.exception("Drop-ship automation for order %s not handed to the worker", order_id)


def on_order_status_changed(sender, *, order, from_status, to_status, actor, **kwargs):
    """Rolling back or cancelling an order cancels its open POs (vendors told), or is refused
    when a vendor already shipped some of it. An order paid without staff is handed to the
    drop-ship automation on the worker, after commit, when the store turned it on."""
    if to_status in (OrderStatus.PENDING, OrderStatus.CANCELLED):
        order_pos_cancel(order=order, to_status=to_status, actor=actor)
    elif (
        to_status == OrderStatus.PAID
        and actor.user is None  # paid without staff: charged automatically, or at intake
        and PurchasingSettings.objects.filter(pk=1, automate_drop_ship=True).exists()
    ):
        transaction.on_commit(lambda: _hand_to_worker(order.pk))
