"""Every read of orders for the back office: the one place that shapes their queries.

The list pages by keyset ("seek"): it fetches one row more than it shows to know whether there
is a next page, and never counts the table, so page 1 and page 20,000 cost the same.
"""

import base64
import binascii
import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.urls import reverse

from catalog.models import SerialCode

from .filters import OrderFilter, order_number_in
from .formatting import money, short_datetime
from .models import (
    ApiKey,
    Channel,
    DownloadLink,
    NewOrdersMarker,
    Order,
    OrderEvent,
    OrderStatus,
)
from .status import allowed_transitions

PER_PAGE = 50
MAX_PER_PAGE = 200
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
    values = [str(getattr(order, name)) for name, _ in SORTS[sort]]
    raw = json.dumps([sort, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str, sort: str) -> list | None:
    """The row values a cursor points at, or None if it is garbage or from another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, values = json.loads(raw)
        keys = SORTS[sort]
        if cursor_sort != sort or len(values) != len(keys):
            return None
        return [
            Order._meta.get_field(name).to_python(value)
            for (name, _), value in zip(keys, values, strict=True)
        ]
    except (binascii.Error, ValueError, TypeError, KeyError, ValidationError):
        return None


def _seek(keys: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after `values` in the ordering `keys` (a list of (field, descending)).

    `(a > x) OR (a = x AND b > y) OR ...`, plus a plain bound on the first column that lets
    Postgres start its index scan at the cursor instead of filtering from the top.
    """
    steps = []
    for i, (name, desc) in enumerate(keys):
        ties = {prev: values[j] for j, (prev, _) in enumerate(keys[:i])}
        steps.append(Q(**ties, **{f"{name}__{'lt' if desc else 'gt'}": values[i]}))
    first_name, first_desc = keys[0]
    bound = Q(**{f"{first_name}__{'lte' if first_desc else 'gte'}": values[0]})
    return reduce(operator.or_, steps) & bound


def _ordering(keys: list[tuple[str, bool]]) -> list[str]:
    return [f"-{name}" if desc else name for name, desc in keys]


def _decorate(orders: list[Order]) -> list[Order]:
    """Attach what a list row shows beyond columns: item count, the moves it offers, and its
    links and labels, formatted here once rather than by template lookups on every row (the
    template engine's per-variable cost dominates a 50-row page)."""
    detail_prefix = reverse("orders:detail", kwargs={"number": 0}).removesuffix("0/")
    for order in orders:
        order.is_new = bool(getattr(order, "is_new", False))
        order.transitions = allowed_transitions(order)
        order.url = f"{detail_prefix}{order.number}/"
        order.status_url = f"{order.url}status/"
        order.placed_date, order.placed_time, order.placed_iso = short_datetime(order.placed_at)
        order.total_label = money(order.total, order.currency)
    return orders


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
    sort = filters.get("sort")
    sort = sort if sort in SORTS else DEFAULT_SORT
    per_page = _per_page(filters.get("per_page", PER_PAGE))
    keys = SORTS[sort]

    # An invalid filter value is dropped (the form shows why); the valid ones still apply.
    filterset.is_valid()
    queryset = filterset.filter_queryset(_list_queryset())

    after = _cursor_decode(filters.get("after", ""), sort) if filters.get("after") else None
    before = _cursor_decode(filters.get("before", ""), sort) if filters.get("before") else None
    backwards = before is not None
    shows_newest = _shows_newest_online(filterset, sort, paged=after is not None or backwards)
    if shows_newest:
        queryset = queryset.annotate(is_new=_unseen_by(user))
    if backwards:
        reverse = [(name, not desc) for name, desc in keys]
        rows = list(
            queryset.filter(_seek(reverse, before)).order_by(*_ordering(reverse))[: per_page + 1]
        )
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
    else:
        if after is not None:
            queryset = queryset.filter(_seek(keys, after))
        rows = list(queryset.order_by(*_ordering(keys))[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]

    page = OrderPage(orders=_decorate(rows), filterset=filterset, sort=sort, per_page=per_page)
    if shows_newest:
        page.newest_unseen_id = max((row.id for row in rows if row.is_new), default=None)
    if rows:
        if backwards:
            page.next_cursor = _cursor_encode(rows[-1], sort)
            page.previous_cursor = _cursor_encode(rows[0], sort) if more else None
        else:
            page.next_cursor = _cursor_encode(rows[-1], sort) if more else None
            page.previous_cursor = _cursor_encode(rows[0], sort) if after is not None else None
    number = order_number_in(filterset.active.get("q", ""))
    if number is not None and not rows:
        page.number_not_found = number
    return page


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
        return _decorate([queryset.get(number=number)])[0]
    except Order.DoesNotExist as exc:
        raise Http404(f"No order #{number}.") from exc


def order_id_by_number(*, user, number: int) -> int | None:
    """The lookup box's fast path: the id of order `number`, by its unique index."""
    return Order.objects.filter(number=number).values_list("id", flat=True).first()


def order_detail(*, user, number: int) -> Order:
    """An order with everything its page shows: profile, lines with their download links and
    serial codes, timeline with who did what, the status moves it offers now and whether it
    may be deleted. Five queries whatever its size."""
    queryset = Order.objects.select_related("profile").prefetch_related(
        "lines",
        Prefetch(
            "lines__download_links",
            queryset=DownloadLink.objects.select_related("digital_file").order_by("id"),
        ),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
    )
    try:
        order = queryset.get(number=number)
    except Order.DoesNotExist as exc:
        raise Http404(f"No order #{number}.") from exc
    lines = order.lines.all()
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


def _attach_serial_codes(order: Order, lines) -> None:
    """Each line's serial codes (`line.serial_codes`), in one query.

    Codes point at the order, not the line: a variant's codes are dealt to its lines in line
    order, as `orders.services` allocated them (lowest ids first).
    """
    codes_by_variant: dict[int, list[str]] = {}
    codes = (
        SerialCode.objects.filter(allocation_reference=order.reference)
        .order_by("id")
        .values_list("variant_id", "code")
    )
    for variant_id, code in codes:
        codes_by_variant.setdefault(variant_id, []).append(code)
    for line in lines:
        pool = codes_by_variant.get(line.variant_id, [])
        line.serial_codes = pool[: line.quantity]
        del pool[: line.quantity]


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
    sort = filters.get("sort")
    sort = sort if sort in SORTS else DEFAULT_SORT
    queryset = filterset.filter_queryset(Order.objects.with_line_facts())
    return queryset.order_by(*_ordering(SORTS[sort]))
