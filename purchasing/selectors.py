"""Reads of purchase orders: the order page's POs tab and the lines that may go on a PO."""

from collections import defaultdict
from dataclasses import dataclass, field

from catalog.models import ProductVendor
from orders.models import Order, OrderLine

from .models import PurchaseOrder, PurchaseOrderLine


@dataclass
class Candidate:
    """An order line that may go on a PO, with the vendors of its product (default first)."""

    line: OrderLine
    links: list[ProductVendor] = field(default_factory=list)

    @property
    def default_vendor_id(self) -> int | None:
        return next((link.vendor_id for link in self.links if link.is_default), None)

    @property
    def remaining(self) -> int:
        return self.line.quantity - self.line.quantity_fulfilled


def po_candidates(*, order: Order, lines: list[OrderLine] | None = None) -> list[Candidate]:
    """The order's lines that ship, still have units to send, and are on no open PO; two
    queries whatever the order's size (the lines may be the page's, already loaded)."""
    lines = list(order.lines.all()) if lines is None else lines
    on_open = set(
        PurchaseOrderLine.objects.filter(order_line__order=order, is_open=True).values_list(
            "order_line_id", flat=True
        )
    )
    candidates = [
        Candidate(line)
        for line in lines
        if line.is_shippable and line.quantity > line.quantity_fulfilled and line.pk not in on_open
    ]
    by_product = defaultdict(list)
    product_ids = {c.line.product_id for c in candidates if c.line.product_id}
    if product_ids:
        for link in (
            ProductVendor.objects.filter(product_id__in=product_ids, vendor__is_active=True)
            .select_related("vendor")
            .order_by("-is_default", "vendor__name")
        ):
            by_product[link.product_id].append(link)
    for candidate in candidates:
        candidate.links = by_product.get(candidate.line.product_id, [])
    return candidates


def order_purchase_orders(*, order: Order, lines: list[OrderLine]) -> list[PurchaseOrder]:
    """The order's POs with vendor and lines (each line's order line from `lines`), newest
    last; two queries."""
    by_id = {line.pk: line for line in lines}
    pos = list(
        PurchaseOrder.objects.filter(order=order)
        .select_related("vendor")
        .prefetch_related("lines")
        .order_by("pk")
    )
    for po in pos:
        po.line_list = list(po.lines.all())
        for po_line in po.line_list:
            po_line.order_line = by_id[po_line.order_line_id]
        po.cost_total = sum((pl.cost for pl in po.line_list), start=0)
        po.owed = [pl for pl in po.line_list if pl.remaining > 0]
    return pos
