"""Every read of orders for the back office: the one place that shapes their queries.

The list pages by keyset ("seek"): it fetches one row more than it shows to know whether there
is a next page, and never counts the table, so page 1 and page 20,000 cost the same.

The list's rows stay a hand-written table (templates/orders/order_list.html, rows decorated by
_decorate and, since 2026-12-07, written by orders.rows: the template engine took 6-8 ms of a
50-row page), not a django-tables2 Table, by measurement (issue 11 item 4, 2026-12-03): an
OrderTable with the same cells, row attributes and headers (same markup, 4 queries either
way; commit 3c790f3, taken out again after it) against the template, through the test client,
200 renders of a 50-row page each, interleaved ABBA in one process on the shared 2-core machine
(`git show 3c790f3:devtools/table_ab/ab.py`). The page's render, CPU time, median (p95):
    template 12.8 ms (21.9), Table 86.9 ms (134.1): +74.1 ms; a second run 16.4 vs 102.8, +86.4
    whole request, wall time: 49.8 ms (185.7) vs 177.3 ms (531.6); 49.1 vs 182.5
The page measured 20.0 ms at 1,000,000 orders on a quiet machine against a 25 ms budget: the
Table's +74 ms (even a third of it) misses it. The cost is django-tables2's per cell: the
signature of each render method inspected for every cell (call_with_appropriate), the
column's attributes built anew for every <td>, every row's attribute callables computed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core import signing
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.http import Http404, QueryDict
from django.urls import reverse

from catalog.models import SerialCode
from core import keyset
from core.formatting import money_label, short_datetime

from .filters import OrderFilter, number_prefix_ranges, order_number_in
from .models import (
    ApiKey,
    Channel,
    DownloadLink,
    NewOrdersMarker,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    SavedView,
)
from .moves import move_form_targets
from .status import allowed_transitions

PER_PAGE = 50
MAX_PER_PAGE = 200
PAGE_SIZES = (50, 100, 200)  # what the pager offers
DEFAULT_SORT = "-placed_at"

# Each sort is a full, unique ordering (it ends in a unique column) so that a keyset cursor
# points at exactly one row; each descending sort is the exact reverse of its ascending one,
# so both walk the same index. Status sorts by its code, which is what the
# (status, -placed_at, -id) index can serve.
_ASCENDING = {
    "placed_at": [("placed_at", False), ("id", False)],
    "number": [("number", False)],
    "total": [("total", False), ("id", False)],
    "status": [("status", False), ("placed_at", True), ("id", True)],
}
SORTS: dict[str, list[tuple[str, bool]]] = {
    **_ASCENDING,
    **{f"-{key}": [(name, not desc) for name, desc in keys] for key, keys in _ASCENDING.items()},
}

# The list shows these columns and no more (the address snapshots are the bulk of a row).
_LIST_FIELDS = [
    "id",
    "number",
    "channel",
    "status",
    "customer_email",
    "customer_name",
    "placed_at",
    "currency",
    "total",
    "risk_level",
]


@dataclass
class OrderPage:
    """One page of the order list, ready to render."""

    orders: list[Order]
    filterset: OrderFilter
    sort: str
    per_page: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    number_not_found: int | None = None
    # A number typed into the lookup box that is no order's: the page lists the orders whose
    # number starts with it, in number order.
    number_prefix: int | None = None
    # The newest online order on the page that the user had not seen yet (rows say `is_new`).
    newest_unseen_id: int | None = None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def _per_page(raw) -> int:
    try:
        return max(1, min(int(raw), MAX_PER_PAGE))
    except (TypeError, ValueError):
        return PER_PAGE


def _cursor_encode(order: Order, sort: str) -> str:
    return keyset.cursor_encode(sort, [getattr(order, name) for name, _ in SORTS[sort]])


def _cursor_decode(cursor: str, sort: str) -> list | None:
    fields = [Order._meta.get_field(name) for name, _ in SORTS[sort]]
    return keyset.cursor_decode(cursor, sort, fields)


def _decorate(orders: list[Order], *, user) -> list[Order]:
    """Attach what a list row shows beyond columns: item count, the moves it offers, and its
    links and labels, formatted here once rather than by template lookups on every row (the
    template engine's per-variable cost dominates a 50-row page).

    The moves are the status machine's, plus the ones that need a shipment where an app above
    registered a form for them that `user` may use (orders.moves: Shipped asks in place).
    """
    detail_prefix = reverse("orders:detail", kwargs={"number": 0}).removesuffix("0/")
    with_form = move_form_targets(user=user)
    for order in orders:
        order.is_new = bool(getattr(order, "is_new", False))
        order.transitions = [
            move
            for move in allowed_transitions(order, with_shipment=bool(with_form))
            if not move.needs_shipment or move.target in with_form
        ]
        order.move_options = [_move_option(order.number, move) for move in order.transitions]
        order.url = f"{detail_prefix}{order.number}/"
        order.status_url = f"{order.url}status/"
        order.placed_date, order.placed_time, order.placed_iso = short_datetime(order.placed_at)
        order.total_label = money_label(order.total, order.currency)
    return orders


def _move_option(number: int, move) -> tuple[str, str, str]:
    """A row's status menu entry: (target, label, what to confirm first, if anything). A move
    made with a form says so with an ellipsis (Mark shipped… asks for the tracking number)."""
    label = f"{move.label}…" if move.needs_shipment else move.label
    return move.target, label, _CONFIRM.get(move.target, "").format(number=number)


_CONFIRM = {
    OrderStatus.CANCELLED: "Cancel order #{number}? This cannot be undone.",
    OrderStatus.PENDING: "Roll back order #{number} to Pending? Stock and units sold are restored, "
    "serial codes retired, download links revoked, and a card payment is refunded.",
}


def _list_queryset() -> QuerySet[Order]:
    return Order.objects.only(*_LIST_FIELDS).with_line_facts()


def _shows_newest_online(filterset: OrderFilter, sort: str, *, paged: bool) -> bool:
    """Whether a list page is where new online orders are seen: the first page, newest first,
    of the All or Online tab, with no other filter than `arrived_after` (the badge's link).
    Any other filter could show a new order while hiding older new ones the mark would pass.
    """
    active = filterset.active
    return (
        not paged
        and sort == DEFAULT_SORT
        and active.get("channel", Channel.ONLINE) == Channel.ONLINE
        and set(active) <= {"channel", "arrived_after"}
    )


def _unseen_by(user) -> ExpressionWrapper:
    """True on an online order that arrived after `user`'s mark (NULL without a mark).

    The mark is an uncorrelated subquery: Postgres reads it once (an InitPlan), not per row.
    """
    mark = NewOrdersMarker.objects.filter(user_id=user.pk).values("seen_up_to_id")
    return ExpressionWrapper(
        Q(channel=Channel.ONLINE, id__gt=Subquery(mark)), output_field=BooleanField()
    )


def order_list(*, user, filters: Mapping) -> OrderPage:
    """A page of orders for the list: filtered (status, channel, q), sorted by a whitelisted
    key (anything else falls back to newest first), paged by the `after`/`before` cursors.

    One query whatever the page size: the orders with their line facts (item count, and what
    the status machine's guards need to offer each row's moves). Nothing is ever counted.
    Where new online orders are seen (`_shows_newest_online`), the same query also says which
    rows are new to `user`, and the page which is the newest of them.
    """
    filterset = OrderFilter(filters)
    # An invalid filter value is dropped (the form shows why); the valid ones still apply.
    filterset.is_valid()
    number_prefix = filterset.searched_number
    sort = _sort(filters.get("sort"), number_search=number_prefix is not None)
    per_page = _per_page(filters.get("per_page", PER_PAGE))
    keys = SORTS[sort]

    queryset = _filtered(filterset, _list_queryset())

    after = _cursor_decode(filters.get("after", ""), sort) if filters.get("after") else None
    before = _cursor_decode(filters.get("before", ""), sort) if filters.get("before") else None
    shows_newest = _shows_newest_online(
        filterset, sort, paged=after is not None or before is not None
    )
    if shows_newest:
        queryset = queryset.annotate(is_new=_unseen_by(user))
    window = keyset.window(
        queryset,
        keys,
        per_page=per_page,
        after=after,
        before=before,
        fetch=lambda qs, keys, limit: _first_rows(
            qs, keys, limit, number_prefix, words=filterset.searches_words
        ),
    )
    rows = window.rows

    page = OrderPage(
        orders=_decorate(rows, user=user), filterset=filterset, sort=sort, per_page=per_page
    )
    if shows_newest:
        page.newest_unseen_id = max((row.id for row in rows if row.is_new), default=None)
    if rows:
        page.next_cursor = _cursor_encode(rows[-1], sort) if window.has_next else None
        page.previous_cursor = _cursor_encode(rows[0], sort) if window.has_previous else None
    if number_prefix is not None:
        if rows:
            page.number_prefix = number_prefix
        else:
            page.number_not_found = number_prefix
    return page


# A number search lists by number, newest first: each of its number ranges is read in number
# order by the number's index (see _first_rows); other sorts would read every match.
NUMBER_SEARCH_SORTS = {"number", "-number"}


def _sort(requested, *, number_search: bool) -> str:
    """The sort asked for if the list offers it, else the default (newest first)."""
    if number_search:
        return requested if requested in NUMBER_SEARCH_SORTS else "-number"
    return requested if requested in SORTS else DEFAULT_SORT


def _filtered(filterset: OrderFilter, queryset: QuerySet[Order]) -> QuerySet[Order]:
    """`queryset` with the valid filters applied, but for a number search's number ranges:
    _first_rows applies those, one range at a time."""
    if filterset.searched_number is None:
        return filterset.filter_queryset(queryset)
    others = OrderFilter({key: value for key, value in filterset.data.items() if key != "q"})
    others.is_valid()
    return others.filter_queryset(queryset)


def _first_rows(
    queryset: QuerySet[Order],
    keys: list[tuple[str, bool]],
    limit: int,
    number_prefix,
    *,
    words: bool = False,
) -> list[Order]:
    """The first `limit` rows of `queryset` in the order `keys`.

    A search for words of the name (`words`) in date order reads the page's ids first, then
    their rows: the ids come from an index-only scan of order_placed_words_idx, which carries
    each order's words, where reading whole rows fetched every order walked past from the
    table to test its words (see Order.Meta.indexes: q=garrett 24.7 -> 5.2 ms of SQL).

    Under a number search (`number_prefix`: 104 stands for 104, 1040–1049, 10400–10499, …),
    each of the prefix's number ranges that can hold orders gives its own first `limit` ids,
    each read by a range scan of the number's unique index, and the page is the first `limit`
    of those. One ORDER BY over all the ranges would instead walk the number index from the
    newest order down through every number between two ranges: 1,000,000 rows for "11".
    EXPLAIN ANALYZE at 1,000,000 orders (numbers 100001–1100000), q=104, newest first:
      Limit -> Sort -> Nested Loop
        -> HashAggregate -> Append  (rows=102)
             -> Limit -> Index Scan Backward using orders_order_number_key  × 5
                  Index Cond: ((number >= 1040000) AND (number <= 1049999))  rows=51
        -> Index Scan using orders_order_pkey  (loops=102)
      Planning Time: 1.9 ms  Execution Time: 1.1 ms
    (q=5, q=11, q=10423 alike: 0.6–1.2 ms.)
    """
    ordering = keyset.ordering(keys)
    if words and keys[0][0] == "placed_at":
        ids = list(queryset.order_by(*ordering).values_list("pk", flat=True)[:limit])
        rows = queryset.in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]  # one deleted in between is left out
    if number_prefix is None:
        return list(queryset.order_by(*ordering)[:limit])
    # Only the ranges that hold numbers given so far: 5 ranges of 17 for "104" at 1,100,000.
    newest = Order.objects.aggregate(newest=Max("number"))["newest"] or 0
    ids = queryset.order_by(*ordering).values("pk")
    branches = [
        ids.filter(number__range=bounds)[:limit]
        for bounds in number_prefix_ranges(number_prefix)
        if bounds[0] <= newest
    ]
    if not branches:
        return []
    first_ids = branches[0].union(*branches[1:], all=True)
    return list(queryset.filter(pk__in=first_ids).order_by(*ordering)[:limit])


# The badge counts this many new online orders at most and then says "99+": the count walks
# the partial index order_online_id_idx up from the user's mark and stops there, whatever the
# table holds. EXPLAIN ANALYZE, 1,000,000 orders (a third online), a mark 500 orders back:
#   Limit -> Index Scan using orders_newordersmarker_pkey (user_id = 1)
#     SubPlan 1 -> Limit (rows=100)
#       -> Index Only Scan using order_online_id_idx on orders_order
#            Index Cond: (id > orders_newordersmarker.seen_up_to_id)  Heap Fetches: 0
#   Buffers: shared hit=6; Execution Time: 0.036 ms
NEW_ORDERS_CAP = 99


class Cardinality(Func):
    function = "cardinality"
    output_field = IntegerField()


@dataclass(frozen=True)
class NewOnlineOrders:
    """The online orders `user` has not seen: how many (up to NEW_ORDERS_CAP + 1) and the mark
    they are counted from."""

    count: int
    seen_up_to_id: int

    @property
    def label(self) -> str:
        return f"{NEW_ORDERS_CAP}+" if self.count > NEW_ORDERS_CAP else str(self.count)

    @property
    def more_than_cap(self) -> bool:
        return self.count > NEW_ORDERS_CAP

    @property
    def cap(self) -> int:
        return NEW_ORDERS_CAP


def new_online_orders(*, user) -> NewOnlineOrders | None:
    """The online orders that arrived after `user`'s mark, counted in one query without ever
    counting the table; None when the user has no mark yet (they have never polled)."""
    newer = (
        Order.objects.filter(channel=Channel.ONLINE, id__gt=OuterRef("seen_up_to_id"))
        .order_by("id")
        .values("id")[: NEW_ORDERS_CAP + 1]
    )
    row = (
        NewOrdersMarker.objects.filter(user_id=user.pk)
        .values_list("seen_up_to_id", Cardinality(ArraySubquery(newer)))
        .first()
    )
    if row is None:
        return None
    seen_up_to_id, count = row
    return NewOnlineOrders(count=count, seen_up_to_id=seen_up_to_id)


def order_row(*, user, number: int) -> Order:
    """One order as a list row shows it (after its status changed in place)."""
    queryset = _list_queryset()
    try:
        return _decorate([queryset.get(number=number)], user=user)[0]
    except Order.DoesNotExist as exc:
        raise Http404(f"No order #{number}.") from exc


# The tabs count up to this many orders and then say "1,000+".
TAB_COUNT_CAP = 1000
# What a tab's link leaves out of the list's URL (see templates/orders/_tabs.html).
_NOT_KEPT_BY_TABS = {"channel", "q", "arrived_after", "after", "before"}


@dataclass(frozen=True)
class TabCount:
    count: int  # exact up to TAB_COUNT_CAP; TAB_COUNT_CAP + 1 means "more"

    @property
    def more(self) -> bool:
        return self.count > TAB_COUNT_CAP

    @property
    def label(self) -> str:
        return f"{TAB_COUNT_CAP:,}+" if self.more else f"{self.count:,}"

    @property
    def title(self) -> str:
        if self.more:
            return f"More than {TAB_COUNT_CAP:,} orders"
        return f"{self.count:,} order{'s' * (self.count != 1)}"


def order_tab_counts(*, user, filters: Mapping) -> dict[str, TabCount]:
    """How many orders each tab of the list (All, Online, In store, Back office) would show
    with the filters its link keeps: exact up to TAB_COUNT_CAP, else "1,000+". One query.

    Capped rather than exact because an exact count reads every matching row (Postgres keeps
    no count, and MVCC means each row's visibility is checked): 1,000,000 for the All tab on
    every page. Capped rather than the planner's estimate because staff filter down to small
    sets ("3 high-risk unpaid") where an estimate is visibly wrong, while past a thousand the
    number does not change what they do. Each channel is counted as
    `SELECT count(*) FROM (SELECT 1 … WHERE channel = 'online' AND <filters> LIMIT 1001)`,
    which stops at the 1,001st match and is served by the list's indexes (they all can lead
    with the channel or rare values); All is their sum, as every order has one of the three
    channels: counting it on its own would find no index leading with its filters.
    EXPLAIN ANALYZE at 1,000,000 orders, the three counts of each of the 336 combinations of
    status, payment, risk and date range: median 0.6 ms, worst 9 ms (risk=low: the back-office
    tab, never rated, walks its 80,000 entries in order_channel_placed_idx to find none).
    """
    kept = {key: value for key, value in filters.items() if key not in _NOT_KEPT_BY_TABS}
    filterset = OrderFilter(kept)
    filterset.is_valid()
    matching = filterset.filter_queryset(Order.objects.all()).order_by()
    channels = [Channel.ONLINE, Channel.IN_STORE, Channel.BACK_OFFICE]
    counts, params = [], []
    for channel in channels:
        capped = matching.filter(channel=channel).values("pk")[: TAB_COUNT_CAP + 1]
        sql, sql_params = capped.query.sql_with_params()
        # The inner SQL is Django's own, its values passed as parameters.
        counts.append(f"(SELECT count(*) FROM ({sql}) AS capped)")  # noqa: S608
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counts)}", params)
        per_channel = dict(zip(channels, cursor.fetchone(), strict=True))
    tabs = {channel.value: TabCount(count) for channel, count in per_channel.items()}
    tabs["all"] = TabCount(min(sum(per_channel.values()), TAB_COUNT_CAP + 1))
    return tabs


def order_bulk_targets(*, user, filters: Mapping, limit: int) -> list[tuple[int, int, str]]:
    """(id, number, status) of the first `limit` orders the list shows for `filters`, in its
    order, across its pages: what "all matching orders" means to a bulk change."""
    filterset = OrderFilter(filters)
    filterset.is_valid()
    number_prefix = filterset.searched_number
    sort = _sort(filters.get("sort"), number_search=number_prefix is not None)
    queryset = _filtered(filterset, Order.objects.only("id", "number", "status"))
    rows = _first_rows(queryset, SORTS[sort], limit, number_prefix)
    return [(order.id, order.number, order.status) for order in rows]


def orders_by_number(*, user, numbers: list[int]) -> list[tuple[int, int, str]]:
    """(id, number, status) of the orders with these numbers, in the order given."""
    found = {
        number: (pk, number, status)
        for pk, number, status in Order.objects.filter(number__in=numbers).values_list(
            "id", "number", "status"
        )
    }
    return [found[number] for number in numbers if number in found]


NUMBER_SUGGESTIONS = 8


def order_number_suggestions(*, user, text: str, limit: int = NUMBER_SUGGESTIONS) -> list[dict]:
    """The lookup box's type-ahead: up to `limit` orders whose number starts with the digits
    typed ("104" or "#104"), shortest numbers first (104, then 1040–1049, 10400–10499, …),
    each with what tells it apart. Nothing for text that is not a number.

    Two queries: the newest number (which of the prefix's ranges can hold orders), then each
    of those ranges' first `limit` numbers, a range scan of the number's unique index each,
    in one UNION ALL. EXPLAIN ANALYZE at 1,000,000 orders, "110": 5 × (Limit -> Index Scan
    using orders_order_number_key, rows=8), 0.1 ms."""
    prefix = order_number_in(text)
    if prefix is None:
        return []
    newest = Order.objects.aggregate(newest=Max("number"))["newest"] or 0
    columns = ("number", "customer_name", "customer_email", "status", "total", "currency")
    branches = [
        Order.objects.filter(number__range=bounds).order_by("number").values(*columns)[:limit]
        for bounds in number_prefix_ranges(prefix)
        if bounds[0] <= newest
    ]
    if not branches:
        return []
    # Shortest first, then in number order: 104, 1040, 1049, 10400, …
    rows = sorted(
        branches[0].union(*branches[1:], all=True),
        key=lambda row: (len(str(row["number"])), row["number"]),
    )
    detail_prefix = reverse("orders:detail", kwargs={"number": 0}).removesuffix("0/")
    return [
        {
            "number": row["number"],
            "url": f"{detail_prefix}{row['number']}/",
            "customer": row["customer_name"] or row["customer_email"],
            "status": OrderStatus(row["status"]).label,
            "total": money_label(row["total"], row["currency"]),
        }
        for row in rows[:limit]
    ]


def order_id_by_number(*, user, number: int) -> int | None:
    """The lookup box's fast path: the id of order `number`, by its unique index."""
    return Order.objects.filter(number=number).values_list("id", flat=True).first()


def order_detail(*, user, number: int) -> Order:
    """An order with everything its page shows: profile, lines with their download links and
    serial codes, timeline with who did what, the status moves it offers now and whether it
    may be deleted. Three queries whatever its size, one more if it has download links and
    one more if it has serial codes (whether it has either rides on the first two)."""
    queryset = (
        Order.objects.select_related("profile")
        .annotate(
            has_serial_codes=Exists(
                SerialCode.objects.filter(
                    allocation_reference=Order.reference_of(OuterRef("number"))
                )
            )
        )
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.annotate(has_links=Exists(_LINKS))),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        )
    )
    try:
        order = queryset.get(number=number)
    except Order.DoesNotExist as exc:
        raise Http404(f"No order #{number}.") from exc
    lines = order.lines.all()
    for event in order.events.all():
        # Formatted once here: the template's date filter cost ~30 µs an event.
        event.when_date, event.when_time, event.when_iso = short_datetime(event.created_at)
    _attach_download_links(lines)
    _attach_serial_codes(order, lines)
    # Moves forward first; the ones that undo (roll back, cancel) last, apart.
    order.transitions = sorted(
        allowed_transitions(order),
        key=lambda move: move.target in {OrderStatus.PENDING, OrderStatus.CANCELLED},
    )
    order.item_count = sum(line.quantity for line in lines)
    order.risk_points = sum(signal.get("points", 0) for signal in order.risk_signals or [])
    # The rule orders.services.order_delete enforces, read from what is loaded: the page
    # offers Delete only where the service would allow it (the service still decides).
    order.deletable = (
        order.first_paid_at is None
        and order.status in {OrderStatus.PENDING, OrderStatus.CANCELLED}
        and not any(line.quantity_fulfilled for line in lines)
    )
    return order


_LINKS = DownloadLink.objects.filter(line_id=OuterRef("pk"))


def _attach_download_links(lines) -> None:
    """`line.links`: each line's download links (their files' titles loaded), in one query,
    none if no line has any."""
    linked = [line for line in lines if line.has_links]
    links = DownloadLink.objects.select_related("digital_file").order_by("id")
    prefetch_related_objects(linked, Prefetch("download_links", queryset=links, to_attr="links"))
    for line in lines:
        if not line.has_links:
            line.links = []


def _attach_serial_codes(order: Order, lines) -> None:
    """Each line's serial codes, in one query (none for an order without any):
    `line.serial_codes` (the ones its buyer holds now) and `line.retired_serial_codes` (held
    by a sale since rolled back, never handed out again).

    Codes point at the order, not the line: a variant's codes are dealt to its lines in line
    order, as `orders.services` allocated them (lowest ids first); each payment took a
    quantity for every line, so retired ones are dealt the same way, payment after payment.
    """
    live: dict[int, list[str]] = {}
    retired: dict[int, list[str]] = {}
    codes = (
        SerialCode.objects.filter(allocation_reference=order.reference)
        .order_by("id")
        .values_list("variant_id", "code", "status")
        if order.has_serial_codes
        else []
    )
    for variant_id, code, status in codes:
        held = retired if status == SerialCode.Status.RETIRED else live
        held.setdefault(variant_id, []).append(code)
    per_payment: dict[int, int] = {}
    for line in lines:
        per_payment[line.variant_id] = per_payment.get(line.variant_id, 0) + line.quantity
    dealt: dict[int, int] = {}
    for line in lines:
        pool = live.get(line.variant_id, [])
        line.serial_codes = pool[: line.quantity]
        del pool[: line.quantity]
        start = dealt.get(line.variant_id, 0)
        dealt[line.variant_id] = start + line.quantity
        line.retired_serial_codes = [
            code
            for i, code in enumerate(retired.get(line.variant_id, []))
            if start <= i % per_payment[line.variant_id] < start + line.quantity
        ]


def order_effects_of_last_move(*, order_id: int) -> list[str]:
    """What the order's latest status change did besides changing the status (stock, codes,
    links, payments, invoices), as its timeline recorded it: the events after that change."""
    recent = OrderEvent.objects.filter(order_id=order_id).order_by("-id")[:20]
    effects = []
    for kind, message in recent.values_list("kind", "message"):
        if kind == OrderEvent.Kind.STATUS:
            break
        if kind in _EFFECT_KINDS and message:
            effects.append(message)
    return effects[::-1]


_EFFECT_KINDS = {OrderEvent.Kind.STOCK, OrderEvent.Kind.PAYMENT, OrderEvent.Kind.INVOICE}


def apikey_list(*, user) -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def download_link_live(*, signed_token: str) -> DownloadLink | None:
    """The link behind a download URL if its signature holds and it is neither expired nor
    revoked; None otherwise, whatever the reason (the caller answers the same 404)."""
    signer = signing.TimestampSigner(salt="orders.download")
    try:
        token = signer.unsign(signed_token, max_age=timedelta(days=settings.DOWNLOAD_LINK_DAYS))
    except signing.BadSignature:
        return None
    link = DownloadLink.objects.select_related("digital_file").filter(token=token).first()
    return link if link is not None and link.is_live else None


def orders_matching(*, user, filters: Mapping) -> QuerySet[Order]:
    """Every order the list shows for `filters`, in the list's order and unpaged: what an
    export of the list walks. Same filters and sort as `order_list` (an invalid filter value is
    dropped there and here alike)."""
    filterset = OrderFilter(filters)
    filterset.is_valid()
    sort = _sort(filters.get("sort"), number_search=filterset.searched_number is not None)
    queryset = filterset.filter_queryset(Order.objects.with_line_facts())
    return queryset.order_by(*keyset.ordering(SORTS[sort]))


SAVED_VIEW_LISTS = {"orders": "orders:list", "transactions": "orders:grid"}
# What a list's query string carries that is not a filter or the sort: paging, and form
# plumbing. Saved views, exports and "all matching" bulk actions keep the rest.
NOT_FILTERS = {"after", "before", "per_page", "format", "csrfmiddlewaretoken", "next", "partial"}


def list_filters(query: str) -> QueryDict:
    """A list's filters and sort from its query string (a QueryDict), without paging."""
    filters = QueryDict(query, mutable=True)
    for name in NOT_FILTERS:
        filters.pop(name, None)
    filters._mutable = False
    return filters


def saved_view_query(query: str) -> str:
    """A list's query string as a saved view keeps it: its filters, keys sorted, blanks gone."""
    kept = sorted(
        (key, value)
        for key, values in list_filters(query).lists()
        for value in values
        if value.strip()
    )
    return urlencode(kept)


def saved_views_manageable(*, user) -> list[SavedView]:
    """Every saved view a user sees as a tab, on every list: their own, and their colleagues'
    shared ones; each says whether this user may delete it. One query."""
    may_delete_shared = user.has_perm("orders.delete_savedview")
    views = list(
        SavedView.objects.filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("page", "name", "id")
    )
    for view in views:
        view.url = f"{reverse(SAVED_VIEW_LISTS[view.page])}?{view.query}"
        view.mine = view.owner_id == user.pk
        view.deletable = view.mine or (view.shared and may_delete_shared)
    return views


def saved_views_for(*, user, page: str, query: str) -> list:
    """The tabs of saved views a user sees on a list: their own and their colleagues' shared
    ones, by name, each with its link and whether it is the one open now. One query."""
    current = saved_view_query(query)
    base = reverse(SAVED_VIEW_LISTS[page])
    views = list(
        SavedView.objects.filter(Q(owner=user) | Q(shared=True), page=page).select_related("owner")
    )
    for view in views:
        view.url = f"{base}?{view.query}"
        view.active = view.query == current
        view.mine = view.owner_id == user.pk
    return views
