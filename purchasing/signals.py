"""What purchasing tells the apps above it (notifications turns these into outbox rows, in the
transaction that sent them)."""

from django.dispatch import Signal

# A PO is to go to its vendor (purchase_order, actor).
purchase_order_sent = Signal()
# A sent PO was cancelled: the vendor is to be told (purchase_order, actor).
purchase_order_cancelled = Signal()
# A vendor shipped units of a PO's lines (purchase_order, quantities: {PO line id: units},
# shipment, actor): from now on their cost is the PO line's (reports' cost of the sale).
po_lines_shipped = Signal()
