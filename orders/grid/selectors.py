"""Reads of the transactions grid: one row per order line, filtered, sorted, paged by keyset.

One query fetches a page of rows whatever its size (the lines with their order's columns
through one join), plus one per registered row link (invoicing: the page's invoice numbers),
one for the chosen item's name, and one that fetches the ids of the orders a status or
channel keeps when they are few (see _query). Nothing is ever counted on a page request:
"select all matching" counts on demand, and stops at SELECTION_CAP.

Which index a page walks, EXPLAIN ANALYZE at 1,000,000 orders / 2,520,740 lines (warm; each
walk stops at the 51st row; the order's columns come by its primary key, one probe a row):
- newest first, and any deep page (the cursor bounds the scan's start):
    Index Scan using line_placed_idx  Index Cond: (placed_at <= '2026-08-09 13:55:16')
    rows=51  Execution Time: 0.12 ms
- a date range: the same index, Index Cond: (placed_at >= '2025-06-01' AND < '2025-07-01')
- an item: Index Scan using line_product_placed_idx  Index Cond: (product_id = 19)  0.17 ms;
  sorted by amount or quantity, line_product_total_idx / line_product_quantity_idx, 0.4 ms
- a status (or channel): Index Scan using order_status_placed_idx (rows=21), then each
  order's lines by orders_orderline_order_id, an Incremental Sort on the line id  0.17 ms
- an item and a status: a rare item (1,788 lines) walks its index, the status checked on the
  joined order: rows=107 read for 51, 0.7 ms; a common item (119,126 lines), or a rare status
  (4,115 paid orders), walks the status's orders and checks their lines: 395 orders read,
  1.1 ms; oldest first 585 orders, 12 ms (the item's index read 119,126 lines: 240 ms).
  Deciding costs two counts that stop early: orders of the status (5,001, 1 ms) and the
  item's lines (20,001, 3 ms).
- by amount, quantity or number: line_total_idx / line_quantity_idx backward, 0.44 ms;
  orders_order_number_key, each order's lines, 0.13 ms
- by amount with a rare status, the slowest shape: the 4,115 paid orders' 10,685 lines by
  order_id = ANY(ids), a hash join to the orders, a top-N sort: 46 ms (walking
  line_total_idx and dropping the other orders' lines: 200–1,000 ms)

The grid's rows stay a hand-written table (templates/orders/grid.html, rows decorated by
_decorate and, since 2026-12-07, written by orders.grid.rows: the template engine took 4 of a
50-row page's 14.5 ms), not a django-tables2 Table, by measurement (issue 11 item 4, 2026-12-03): a
LineTable with the same cells, row attributes (data-link-* of the registered row links too)
and headers (same markup, 4 queries either way; commit 3c790f3, taken out again after it)
against the template, through the test client, 200 renders of each page size, interleaved ABBA
in one process on the shared 2-core machine (`git show 3c790f3:devtools/table_ab/ab.py`). The
page's render, CPU time, median (p95), two runs:
    50 rows:  template 15.9 ms (19.3), Table 113.3 ms (133.3): +97.4 ms; 16.4 vs 111.8, +95.3
    200 rows: template 42.6 ms (184.7), Table 399.7 ms (480.4): +357.1 ms; 40.2 vs 352.4, +312.2
    whole request, wall time, 50 rows: 32.0 ms (38.4) vs 131.3 ms (164.5); 52.3 vs 217.6
The page measured 17.7 ms at 1,000,000 orders on a quiet machine against a 25 ms budget: the
Table's +95 ms at 50 rows misses it many times over. The cost is django-tables2's per cell
(a render method's signature inspected for every cell, each <td>'s attributes built anew).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import BooleanField, Field, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse

from catalog.selectors import SUGGESTIONS, product_name, product_suggestions
from core import keyset
from core.formatting import money_label, short_datetime

from ..dates import end_of_day, start_of_day
from ..models import Order, OrderLine, PaymentState
from .filters import LineFilter
from .registry import RowLink, SelectedLine, links_for

PER_PAGE = 50
PAGE_SIZES = (50, 100, 200)
# The most lines one bulk action takes; a "select all matching" beyond it is refused.
SELECTION_CAP = 5_000
# Up to this many orders, an order-level filter is applied by fetching the orders' ids first
# (see _query): their lines, about 2.5 each, are fewer than the rows a sort index's walk
# would throw away to fill a page (beyond it, at least 1 order in 200 matches).
FEW_ORDERS = 5_000
# An item sold on more lines than this is on about 1 order in 50 or more (at 2.5 lines an
# order), so walking the orders of a status by date finds its lines within a few thousand
# orders; a rarer item's own index is walked instead, at most this many lines.
COMMON_ITEM_LINES = 20_000


@dataclass(frozen=True)
class Key:
    """A sort column: its path when the query walks the lines, when it walks the orders, how
    to read it from a row (for the cursor) and the field that parses it back."""

    line_path: str
    order_path: str
    value: Callable[[OrderLine], object]
    field: Field


def _line_field(name: str) -> Field:
    return OrderLine._meta.get_field(name)


_KEYS = {
    "placed_at": Key("placed_at", "order__placed_at", lambda r: r.placed_at, _line_field("placed_at")),
    "order": Key("order_id", "order_id", lambda r: r.order_id, _line_field("id")),
    "id": Key("id", "id", lambda r: r.id, _line_field("id")),
    "number": Key("order__number", "order__number", lambda r: r.order.number, Order._meta.get_field("number")),
    "total": Key("total", "total", lambda r: r.total, _line_field("total")),
    "quantity": Key("quantity", "quantity", lambda r: r.quantity, _line_field("quantity")),
}  # fmt: skip

# Each sort is a full, unique ordering (it ends in the line id) so that a cursor points at
# one row; each descending sort is the exact reverse of its ascending one, so both walk the
# same index (line_placed_idx, line_product_placed_idx, line_total_idx, line_quantity_idx,
# orders' number index). The date sort breaks ties on the order, so an order's items (which
# share its invoice number) stay together.
_ASCENDING = {
    "placed_at": ["placed_at", "order", "id"],
    "number": ["number", "id"],
    "total": ["total", "id"],
    "quantity": ["quantity", "id"],
}
SORTS: dict[str, list[tuple[str, bool]]] = {
    **{key: [(name, False) for name in names] for key, names in _ASCENDING.items()},
    **{f"-{key}": [(name, True) for name in names] for key, names in _ASCENDING.items()},
}
DEFAULT_SORT = "-placed_at"

_ROW_FIELDS = [
    "id",
    "order_id",
    "placed_at",
    "product_id",
    "sku",
    "name",
    "options",
    "quantity",
    "total",
    "is_shippable",
    "fulfilment_status",
    "quantity_fulfilled",
    "order__number",
    "order__status",
    "order__channel",
    "order__customer_name",
    "order__customer_email",
    "order__profile_id",
    "order__currency",
    "order__payment_state",
]


@dataclass
class LinePage:
    """One page of the grid, ready to render."""

    rows: list[OrderLine]
    filterset: LineFilter
    sort: str
    per_page: int
    links: list[RowLink]
    item_name: str = ""
    ignored: list[str] = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)

    @property
    def is_filtered(self) -> bool:
        return bool(self.filterset.active)

    @property
    def filter_query(self) -> str:
        """The valid filters as a query string: what "every item matching" means."""
        data = self.filterset.data
        return urlencode({name: data[name] for name in self.filterset.active})


@dataclass(frozen=True)
class Query:
    """The grid's filters resolved into a queryset, and which table's indexes it walks."""

    filterset: LineFilter
    queryset: QuerySet[OrderLine]
    walks_orders: bool
    item_name: str
    ignored: list[str]
    few_orders: bool = False  # the lines of at most FEW_ORDERS orders, by their ids

    def path(self, key: str) -> str:
        spec = _KEYS[key]
        return spec.order_path if self.walks_orders else spec.line_path


def _resolve_item(data, filterset: LineFilter, ignored: list[str]) -> str:
    """The chosen item's name, or "" (then `data` loses an `item` that names no product). The
    type-ahead sets `item`; without JavaScript a typed `item_name` is all there is, and it
    becomes `item` when it names one product."""
    item = filterset.active.get("item")
    typed = str(data.get("item_name", "")).strip()
    if item:
        name = product_name(product_id=item)
        if name is None:
            ignored.append("Item: there is no such item.")
            data.pop("item", None)
        return name or ""
    if typed:
        product, why = _product_named(typed)
        if product is None:
            ignored.append(f"Item: {why}")
            return ""
        data["item"] = str(product.pk)
        return product.name
    return ""


def _placed_within(queryset: QuerySet, active: Mapping) -> QuerySet:
    """`queryset` (orders or lines: both carry placed_at) bounded by the chosen days."""
    if active.get("start"):
        queryset = queryset.filter(placed_at__gte=start_of_day(active["start"]))
    if active.get("end"):
        queryset = queryset.filter(placed_at__lt=end_of_day(active["end"]))
    return queryset


def _matching_orders(active: Mapping) -> QuerySet[Order]:
    """The orders an order-level filter keeps (status, channel, and the dates)."""
    orders = Order.objects.order_by()
    for name in ("status", "channel"):
        if active.get(name):
            orders = orders.filter(**{name: active[name]})
    return _placed_within(orders, active)


def _few_orders(active: Mapping) -> list[int] | None:
    """The ids of the orders an order-level filter keeps, if at most FEW_ORDERS; else None.
    One query on the orders' (channel, status, placed_at) indexes that stops after that."""
    ids = list(_matching_orders(active).values_list("id", flat=True)[: FEW_ORDERS + 1])
    return ids if len(ids) <= FEW_ORDERS else None


def _is_common_item(active: Mapping) -> bool:
    """Whether more than COMMON_ITEM_LINES lines sold the item within the chosen dates (all
    time without them): a count on the item's (product, placed_at) index that stops there.

    Bounded by the dates, because the range is what the walk would read: a popular item in
    one month (5,018 lines at a million orders) is cheaper to walk, checking each line's
    order, than a common status's 39,573 orders of that month, which Postgres hash-joined
    against the item's lines in 19 ms (against 0.35 ms)."""
    lines = _placed_within(OrderLine.objects.filter(product_id=active["item"]).order_by(), active)
    return lines.values("id")[: COMMON_ITEM_LINES + 1].count() > COMMON_ITEM_LINES


def _query(filters: Mapping, sort: str) -> Query:
    """The filters as a queryset, shaped so that Postgres walks one index and stops early.

    Status and channel live on the order (status changes, so it is not copied to the lines):
    - Sorted by date: walk the orders' (status|channel, placed_at, id) indexes and join each
      order's lines, when there is no item, or at most FEW_ORDERS orders match (then even a
      rare item costs at most their lines' lookups), or the item is common (then its lines
      come within a few thousand orders); rows come in the grid's order. Else walk the item's
      index over the dates, at most COMMON_ITEM_LINES lines, checking the order of each: walking it
      from the oldest for a status of the last days once read 119,126 lines, 240 ms.
    - Other sorts: if at most FEW_ORDERS orders match, fetch their ids (one short query) and
      sort their lines, at most ~12,500.
    - Otherwise walk the lines' index for the sort (the item's, if one is chosen) and drop
      the other orders' rows through the join: more than one order in 200 matches (at a
      million orders), so a page fills within some thousands of rows.
    """
    data = filters.copy() if hasattr(filters, "copy") else dict(filters)
    filterset = LineFilter(data)
    filterset.is_valid()
    ignored = filterset.ignored
    item_name = _resolve_item(data, filterset, ignored)
    active = LineFilter(data).active
    by_order = bool(active.get("status") or active.get("channel"))
    by_date = sort.lstrip("-") == "placed_at"
    walks_orders = by_order and by_date and _walks_orders_for_item(active)
    filterset = LineFilter(data, date_fields=_date_fields(active, walks_orders=walks_orders))
    filterset.is_valid()
    queryset = filterset.filter_queryset(
        OrderLine.objects.select_related("order").only(*_ROW_FIELDS)
    )
    few = _few_orders(active) if by_order and not by_date else None
    if few is not None:
        # One array parameter: an IN list of thousands costs more to build than to run. The
        # status and channel stay in the query too: without them Postgres guesses the ids
        # are spread evenly and walks the sort's index past a million rows instead.
        queryset = queryset.filter(
            RawSQL('"orders_orderline"."order_id" = ANY(%s)', (few,), BooleanField())
        )
    return Query(filterset, queryset, walks_orders, item_name, ignored, few_orders=few is not None)


def _fetch_by_ids(queryset: QuerySet, keys: keyset.Keys, limit: int) -> list[OrderLine]:
    """A page of a few orders' lines in a sort other than the date: their ids first, in the
    sort's order, then those rows with their orders.

    Reading ids alone, Postgres sorts the ~12,500 candidate lines on their sort key and checks
    their orders' status or channel from the order index (an index-only scan); reading whole
    rows it fetched every candidate's order from the table first (at 1,000,000 orders, paid
    orders by total: 20 ms of SQL against 32)."""
    ids = list(queryset.order_by(*keyset.ordering(keys)).values_list("pk", flat=True)[:limit])
    rows = OrderLine.objects.select_related("order").only(*_ROW_FIELDS).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def _walks_orders_for_item(active: Mapping) -> bool:
    """Whether a date-sorted query filtered by status or channel is better served walking the
    orders' indexes: no item is chosen, or few orders match, or the item is common."""
    return not active.get("item") or _few_orders(active) is not None or _is_common_item(active)


def _date_fields(active: Mapping, *, walks_orders: bool) -> tuple[str, ...]:
    """The columns the dates bound: the line's copy of placed_at, or the order's when the query
    walks the orders' indexes. With an item, the same bounds on the lines' copy too, so that
    Postgres may bound the item's index instead (a rare item in a range). Without one they
    would only halve its estimate of the rows, and it then plans for many more than it reads."""
    if not walks_orders:
        return LineFilter.date_fields
    return ("order__placed_at", *(("placed_at",) if active.get("item") else ()))


def _product_named(typed: str):
    """The product a typed name means: the one named exactly so, or the only one matching;
    else None and why."""
    matches = product_suggestions(q=typed, limit=SUGGESTIONS)
    exact = [product for product in matches if product.name.casefold() == typed.casefold()]
    if exact:
        return exact[0], ""
    if len(matches) == 1:
        return matches[0], ""
    if not matches:
        return None, f"no item is called “{typed}”."
    return (
        None,
        f"{len(matches)}{'+' if len(matches) == SUGGESTIONS else ''} items match “{typed}”: choose one from the list.",
    )


def _per_page(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return PER_PAGE
    return value if value in PAGE_SIZES else PER_PAGE


def _cursor_encode(row: OrderLine, sort: str) -> str:
    return keyset.cursor_encode(sort, [_KEYS[name].value(row) for name, _ in SORTS[sort]])


def _cursor_decode(cursor: str, sort: str) -> list | None:
    return keyset.cursor_decode(cursor, sort, [_KEYS[name].field for name, _ in SORTS[sort]])


def line_grid(*, user, filters: Mapping) -> LinePage:
    """A page of the transactions grid: filtered (dates, item, status, channel), sorted by a
    whitelisted key (anything else falls back to newest first), paged by `after`/`before`.

    Guarantees a constant number of queries whatever the page size: the rows, one per row
    link registered (invoices), one for the chosen item's name. Invalid filters are dropped
    and listed in `ignored`; a garbage cursor shows the first page.
    """
    sort = filters.get("sort")
    sort = sort if sort in SORTS else DEFAULT_SORT
    per_page = _per_page(filters.get("per_page", PER_PAGE))
    query = _query(filters, sort)
    keys = [(query.path(name), desc) for name, desc in SORTS[sort]]

    after = _cursor_decode(filters.get("after", ""), sort) if filters.get("after") else None
    before = _cursor_decode(filters.get("before", ""), sort) if filters.get("before") else None
    window = keyset.window(
        query.queryset,
        keys,
        per_page=per_page,
        after=after,
        before=before,
        fetch=_fetch_by_ids if query.few_orders else None,
    )
    rows = window.rows

    links = links_for(user)
    page = LinePage(
        rows=_decorate(rows, links),
        filterset=query.filterset,
        sort=sort,
        per_page=per_page,
        links=links,
        item_name=query.item_name,
        ignored=query.ignored,
        is_first=after is None and before is None,
    )
    if rows:
        page.next_cursor = _cursor_encode(rows[-1], sort) if window.has_next else None
        page.previous_cursor = _cursor_encode(rows[0], sort) if window.has_previous else None
    return page


def _sent_label(line: OrderLine) -> str:
    if line.fulfilment_status == OrderLine.Fulfilment.PARTIAL:
        return f"{line.quantity_fulfilled} of {line.quantity} sent"
    return line.get_fulfilment_status_display()


def _decorate(rows: list[OrderLine], links: list[RowLink]) -> list[OrderLine]:
    """Attach what a row shows beyond its columns, formatted here once (the template
    engine's per-variable cost dominates a 200-row page): labels, links, the row's links
    from other apps (one lookup each for the whole page)."""
    detail_prefix = reverse("orders:detail", kwargs={"number": 0}).removesuffix("0/")
    order_ids = sorted({row.order_id for row in rows})
    found = {link.name: link.lookup(order_ids) if order_ids else {} for link in links}
    for row in rows:
        order = row.order
        row.number = order.number
        row.aria_label = f"{row.sku} of order #{order.number}"
        row.order_url = f"{detail_prefix}{order.number}/"
        row.buyer_name = order.customer_name or "—"
        row.buyer_email = order.customer_email
        row.has_profile = order.profile_id is not None
        row.options_prefix = f"{row.options} · " if row.options else ""
        row.status, row.status_label = order.status, order.get_status_display()
        row.placed_date, row.placed_time, row.placed_iso = short_datetime(row.placed_at)
        row.amount_label = money_label(row.total, order.currency)
        row.payment = order.payment_state
        row.payment_label = PaymentState(order.payment_state).label
        row.sent_label = _sent_label(row)
        row.link_cells = [(link, found[link.name].get(row.order_id)) for link in links]
    return rows


@dataclass(frozen=True)
class Selection:
    """The lines a bulk action is to act on, by order id; `too_many` when a selection of
    everything matching went past SELECTION_CAP (then `lines` is empty)."""

    lines: dict[int, list[SelectedLine]]
    count: int
    too_many: bool = False


def line_selection(
    *, user, line_ids: list[int] | None = None, filters: Mapping | None = None
) -> Selection:
    """The chosen lines (by id), or every line matching `filters` up to SELECTION_CAP, with
    their order's number: one query."""
    if line_ids is not None:
        queryset = OrderLine.objects.filter(pk__in=line_ids[: SELECTION_CAP + 1])
    else:
        queryset = _query(filters or {}, DEFAULT_SORT).queryset
    rows = list(
        queryset.order_by().values_list("id", "order_id", "order__number")[: SELECTION_CAP + 1]
    )
    if len(rows) > SELECTION_CAP:
        return Selection(lines={}, count=len(rows), too_many=True)
    lines: dict[int, list[SelectedLine]] = {}
    for line_id, order_id, number in sorted(rows):
        lines.setdefault(order_id, []).append(SelectedLine(line_id, order_id, number))
    return Selection(lines=lines, count=len(rows))


def line_count(*, user, filters: Mapping) -> int:
    """How many lines match `filters`, counted up to SELECTION_CAP + 1 and no further."""
    queryset = _query(filters, DEFAULT_SORT).queryset.order_by()
    return queryset.values("id")[: SELECTION_CAP + 1].count()


def lines_matching(*, user, filters: Mapping) -> QuerySet[OrderLine]:
    """Every line the grid shows for `filters`, in the grid's order and unpaged: what an export
    of the grid walks. The same filters, item resolution and sort as `line_grid`."""
    sort = filters.get("sort")
    sort = sort if sort in SORTS else DEFAULT_SORT
    query = _query(filters, sort)
    keys = [(query.path(name), desc) for name, desc in SORTS[sort]]
    return query.queryset.order_by(*keyset.ordering(keys))
