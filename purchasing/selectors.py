"""Reads of purchase orders: the order page's POs tab and the lines that may go on a PO."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import (
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)

from catalog.models import ProductVendor
from core import keyset
from orders.models import Order, OrderLine, OrderStatus

from .filters import PurchaseOrderFilter
from .models import PurchaseOrder, PurchaseOrderLine, ShipNotice


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


def needs_po_q() -> Q:
    """The orders that need a PO (the order list's "Needs a PO" filter, registered in
    PurchasingConfig.ready): Paid or In process, with a line that ships, still has units to
    send, is on no open PO, and whose product an active vendor supplies: a drop-ship line
    nobody has ordered from a vendor yet (the automation leaves such a line to staff when its
    product has no default vendor). The lines po_candidates offers, with at least one vendor.

    Correlated EXISTS subqueries, so it stays within the list's one query: per order, its
    lines by order_line_order_id index, each line's open PO by the partial unique index
    po_line_one_open_po, the product's vendors by product_vendor_unique.
    """
    line_waits = OrderLine.objects.filter(
        order=OuterRef("pk"), is_shippable=True, quantity__gt=F("quantity_fulfilled")
    ).filter(
        Exists(
            ProductVendor.objects.filter(product=OuterRef("product_id"), vendor__is_active=True)
        ),
        ~Exists(PurchaseOrderLine.objects.filter(order_line=OuterRef("pk"), is_open=True)),
    )
    return Q(status__in=[OrderStatus.PAID, OrderStatus.IN_PROCESS]) & Q(Exists(line_waits))


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


PER_PAGE = 50
# Newest first; the id breaks ties.
KEYS = [("created_at", True), ("id", True)]
_SORT = "-created_at"


@dataclass
class PurchaseOrderPage:
    rows: list[PurchaseOrder]
    filterset: PurchaseOrderFilter
    next_cursor: str | None = None
    previous_cursor: str | None = None

    @property
    def active(self) -> dict:
        return self.filterset.active


def _cursor(po: PurchaseOrder) -> str:
    return keyset.cursor_encode(_SORT, [po.created_at, po.pk])


def _decoded(cursor: str) -> list | None:
    fields = [PurchaseOrder._meta.get_field(name) for name, _ in KEYS]
    return keyset.cursor_decode(cursor, _SORT, fields) if cursor else None


def purchase_order_list(*, user, filters: Mapping) -> PurchaseOrderPage:
    """A page of POs across orders, newest first: vendor, order, status, cost and the units the
    vendor still owes (subqueries per row of the page, not per table), filtered by status,
    vendor, still-owed and a PO or order number; keyset paged by the `after`/`before` cursors.
    One query, whatever the page or the table's size."""
    lines = PurchaseOrderLine.objects.filter(purchase_order=OuterRef("pk")).order_by()
    owed = lines.annotate(units=Func(F("quantity") - F("quantity_shipped"), function="SUM")).values(
        "units"
    )
    cost = lines.annotate(total=Func(F("quantity") * F("unit_cost"), function="SUM")).values(
        "total"
    )
    queryset = PurchaseOrder.objects.select_related("vendor", "order").annotate(
        units_owed=Subquery(owed, output_field=IntegerField()),
        cost=Subquery(cost, output_field=DecimalField(max_digits=14, decimal_places=2)),
    )
    filterset = PurchaseOrderFilter(filters, queryset=queryset)
    filterset.is_valid()
    window = keyset.window(
        filterset.qs,
        KEYS,
        per_page=PER_PAGE,
        after=_decoded(filters.get("after", "")),
        before=_decoded(filters.get("before", "")),
    )
    page = PurchaseOrderPage(window.rows, filterset)
    if window.rows:
        page.next_cursor = _cursor(window.rows[-1]) if window.has_next else None
        page.previous_cursor = _cursor(window.rows[0]) if window.has_previous else None
    return page


def ship_notices_refused(*, user, limit: int = 20) -> list[ShipNotice]:
    """The latest ship notices that could not be applied (still in the vendor's folder)."""
    return list(
        ShipNotice.objects.filter(status=ShipNotice.Status.REFUSED).select_related("vendor")[:limit]
    )
