"""What reports follow in the apps below it (connected in ReportsConfig.ready): each receiver
runs inside the transaction of the change, so the daily totals commit or roll back with it."""

from purchasing.models import PurchaseOrderLine

from .totals import daily_totals_add_cost_change, daily_totals_add_event, is_counted


def on_order_status_changed(sender, *, order, from_status, to_status, event=None, **kwargs):
    """A payment (the sale) or a rollback or cancel of a paid order (a return) counts on the
    day of its status event."""
    if event is not None and is_counted(from_status, to_status):
        daily_totals_add_event(event_id=event.pk)


def on_po_lines_shipped(sender, *, purchase_order, quantities, **kwargs):
    """A vendor shipped drop-shipped units: their cost becomes the PO line's, from today."""
    lines = PurchaseOrderLine.objects.select_related("order_line__order").filter(pk__in=quantities)
    for po_line in sorted(lines, key=lambda line: line.pk):
        daily_totals_add_cost_change(po_line=po_line, quantity=quantities[po_line.pk])
