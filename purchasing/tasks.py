"""Thin tasks: beat polls EDI vendors' outbound folders for 856 ship notices; the drop-ship
automation runs on the worker after a payment commits."""

from celery import shared_task

from .polling import ship_notices_poll_all
from .services import po_automate_for_order


@shared_task
def po_automate(order_id: int) -> int:
    return len(po_automate_for_order(order_id=order_id))


@shared_task
def ship_notices_poll() -> dict:
    return dict(ship_notices_poll_all())
