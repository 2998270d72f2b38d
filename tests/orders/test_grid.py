"""The transactions grid's reads: one row per line, each filter and their combinations, the
store's days, every sort paged by keyset in both directions, and a constant query count."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice
from orders.actors import Actor
from orders.grid import selectors
from orders.models import Channel, OrderLine, OrderStatus
from orders.services import order_transition
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    VariantFactory,
    order_with_lines,
)

pytestmark = pytest.mark.django_db
GRID = reverse("orders:grid")
NOW = timezone.now().replace(microsecond=0)


def grid(user, **filters):
    return selectors.line_grid(user=user, filters=filters)


def ids(page) -> list[int]:
    return [row.id for row in page.rows]


def line(*, minutes_ago: int = 0, product=None, order=None, **fields) -> OrderLine:
    order = order or OrderFactory(placed_at=NOW - timedelta(minutes=minutes_ago))
    variant = VariantFactory(product=product) if product else VariantFactory()
    return OrderLineFactory(order=order, variant=variant, **fields)


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 3 rows, so paging needs few rows."""
    monkeypatch.setattr(selectors, "PER_PAGE", 3)


# ---- Rows ----------------------------------------------------------------------------------


def test_one_row_per_item_newest_first_with_an_orders_items_together(staff_user):
    older = order_with_lines(lines=2, placed_at=NOW - timedelta(hours=2))
    newer = order_with_lines(lines=3, placed_at=NOW - timedelta(hours=1))
    page = grid(staff_user)
    newer_lines = sorted(newer.lines.values_list("id", flat=True), reverse=True)
    older_lines = sorted(older.lines.values_list("id", flat=True), reverse=True)
    assert ids(page) == newer_lines + older_lines
    assert [row.number for row in page.rows] == [newer.number] * 3 + [older.number] * 2


def test_a_row_shows_the_sale(staff_user):
    order = OrderFactory(
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        status=OrderStatus.PAID,
        paid_at=NOW,
        first_paid_at=NOW,
        channel=Channel.ONLINE,
    )
    product = ProductFactory(name="Alpine Mug")
    variant = VariantFactory(product=product, sku="MUG-01", price=Decimal("12.50"))
    OrderLineFactory(order=order, variant=variant, quantity=2, options="colour: Navy")
    (row,) = grid(staff_user).rows
    assert (row.name, row.options, row.sku, row.quantity) == (
        "Alpine Mug",
        "colour: Navy",
        "MUG-01",
        2,
    )
    assert row.amount_label == "$25.00"
    assert (row.buyer_name, row.buyer_email) == ("Ada Lovelace", "ada@example.com")
    assert (row.payment, row.payment_label) == ("paid", "Paid")
    assert row.sent_label == "Not sent"
    assert row.order_url == order.get_absolute_url()
    assert row.product_id == product.pk and row.placed_at == order.placed_at


@pytest.mark.parametrize(
    ("paid_at", "first_paid_at", "expected"),
    [
        (None, None, ("unpaid", "Unpaid")),
        (NOW, NOW, ("paid", "Paid")),
        (None, NOW, ("refunded", "Refunded")),
    ],
)
def test_payment_says_whether_the_sale_stands(staff_user, paid_at, first_paid_at, expected):
    OrderLineFactory(order=OrderFactory(paid_at=paid_at, first_paid_at=first_paid_at))
    (row,) = grid(staff_user).rows
    assert (row.payment, row.payment_label) == expected


def test_a_partly_sent_item_says_how_much_went(staff_user):
    OrderLineFactory(
        quantity=3, quantity_fulfilled=2, fulfilment_status=OrderLine.Fulfilment.PARTIAL
    )
    assert grid(staff_user).rows[0].sent_label == "2 of 3 sent"


def test_items_bought_together_share_their_invoice_number(staff_user):
    paid = order_with_lines(lines=2, placed_at=NOW - timedelta(hours=1))
    order_transition(
        order_id=paid.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    unpaid = order_with_lines(lines=1)
    invoice = Invoice.objects.get(order=paid)
    page = grid(staff_user)
    cells = {row.order_id: row.link_cells for row in page.rows}
    (link, found) = cells[paid.pk][0]
    assert link.name == "invoice" and found.text == invoice.display_number
    assert found.url == invoice.get_absolute_url()
    assert [found for _, found in cells[unpaid.pk]] == [None]
    assert {row.link_cells[0][1] for row in page.rows if row.order_id == paid.pk} == {found}


# ---- Filters -------------------------------------------------------------------------------


def test_filter_by_status_and_by_channel(staff_user):
    paid = line(order=OrderFactory(status=OrderStatus.PAID, channel=Channel.IN_STORE))
    pending = line(order=OrderFactory(status=OrderStatus.PENDING, channel=Channel.ONLINE))
    assert ids(grid(staff_user, status="paid")) == [paid.id]
    assert ids(grid(staff_user, channel="online")) == [pending.id]
    assert ids(grid(staff_user, status="paid", channel="online")) == []


def test_filter_by_item_keeps_that_products_lines_whatever_their_variant(staff_user):
    mug = ProductFactory(name="Alpine Mug")
    navy = line(product=mug, minutes_ago=1)
    olive = line(product=mug, minutes_ago=2)
    line(minutes_ago=3)
    page = grid(staff_user, item=str(mug.pk))
    assert ids(page) == [navy.id, olive.id]
    assert page.item_name == "Alpine Mug" and not page.ignored


def test_filter_by_dates_is_inclusive_of_both_days(staff_user):
    first = line(order=OrderFactory(placed_at=datetime(2026, 3, 1, 0, 0, tzinfo=UTC)))
    last = line(order=OrderFactory(placed_at=datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)))
    line(order=OrderFactory(placed_at=datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)))
    line(order=OrderFactory(placed_at=datetime(2026, 3, 3, 0, 0, tzinfo=UTC)))
    assert ids(grid(staff_user, start="2026-03-01", end="2026-03-02")) == [last.id, first.id]
    assert ids(grid(staff_user, start="2026-03-02", end="2026-03-02")) == [last.id]


@override_settings(TIME_ZONE="America/New_York")
def test_days_are_the_stores_not_utc(staff_user):
    # 03:30 UTC on 10 March is 22:30 on the 9th in New York (EST, UTC-5).
    late_on_the_9th = line(order=OrderFactory(placed_at=datetime(2026, 3, 10, 3, 30, tzinfo=UTC)))
    # 05:30 UTC is 00:30 on the 10th.
    early_on_the_10th = line(order=OrderFactory(placed_at=datetime(2026, 3, 10, 5, 30, tzinfo=UTC)))
    assert ids(grid(staff_user, end="2026-03-09")) == [late_on_the_9th.id]
    assert ids(grid(staff_user, start="2026-03-10")) == [early_on_the_10th.id]
    # The date column says the store's day too.
    assert grid(staff_user, end="2026-03-09").rows[0].placed_date == "Mar 9, 2026"


# How an order-level filter is applied: (FEW_ORDERS, COMMON_ITEM_LINES) forcing each shape.
SHAPES = pytest.mark.parametrize(
    ("few_orders", "common_item_lines"),
    [(0, 10**9), (5_000, 10**9), (0, 0)],
    ids=["walking-the-lines", "few-orders", "walking-the-orders-for-a-common-item"],
)


@SHAPES
def test_combinations_of_every_filter(staff_user, monkeypatch, few_orders, common_item_lines):
    monkeypatch.setattr(selectors, "FEW_ORDERS", few_orders)
    monkeypatch.setattr(selectors, "COMMON_ITEM_LINES", common_item_lines)
    mug = ProductFactory(name="Alpine Mug")
    day = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)

    def sold(status, channel, product, days=0):
        order = OrderFactory(status=status, channel=channel, placed_at=day + timedelta(days))
        return line(order=order, product=product)

    wanted = sold(OrderStatus.PAID, Channel.ONLINE, mug)
    sold(OrderStatus.PAID, Channel.IN_STORE, mug)  # another channel
    sold(OrderStatus.PENDING, Channel.ONLINE, mug)  # another status
    sold(OrderStatus.PAID, Channel.ONLINE, None)  # another item
    sold(OrderStatus.PAID, Channel.ONLINE, mug, days=2)  # another day
    filters = {
        "status": "paid",
        "channel": "online",
        "item": str(mug.pk),
        "start": "2026-04-10",
        "end": "2026-04-10",
    }
    for sort in selectors.SORTS:
        assert ids(grid(staff_user, sort=sort, **filters)) == [wanted.id], sort


@SHAPES
@pytest.mark.parametrize("sort", ["-placed_at", "placed_at", "-total", "quantity", "number"])
def test_every_query_shape_gives_the_same_rows(
    staff_user, monkeypatch, few_orders, common_item_lines, sort
):
    """An order-level filter is applied through the few orders' ids, through the join from
    the lines, or by walking the orders: the rows are the same (only the plan differs)."""
    monkeypatch.setattr(selectors, "FEW_ORDERS", few_orders)
    monkeypatch.setattr(selectors, "COMMON_ITEM_LINES", common_item_lines)
    mug = ProductFactory()
    expected = []
    for i in range(8):
        status = OrderStatus.PAID if i % 2 else OrderStatus.COMPLETE
        order = OrderFactory(status=status, placed_at=NOW - timedelta(minutes=i % 3))
        a_line = line(order=order, product=mug if i % 4 < 2 else None, quantity=1 + i % 3)
        if status == OrderStatus.PAID and a_line.product_id == mug.pk:
            expected.append(a_line)
    keys = selectors.SORTS[sort]
    page = grid(staff_user, status="paid", item=str(mug.pk), sort=sort)
    assert sorted(ids(page)) == sorted(row.id for row in expected)
    values = [[selectors._KEYS[name].value(row) for name, _ in keys] for row in page.rows]
    assert values == sorted(values, reverse=keys[0][1])


def test_bad_filter_values_are_ignored_with_a_message_and_the_others_apply(staff_user):
    paid = line(order=OrderFactory(status=OrderStatus.PAID))
    line(order=OrderFactory(status=OrderStatus.PENDING))
    page = grid(staff_user, status="paid", start="2026-13-45", item="a mug", channel="mars")
    assert ids(page) == [paid.id]
    assert page.filterset.active == {"status": "paid"}
    assert {why.split(":")[0] for why in page.ignored} == {"From", "Item", "Channel"}


def test_an_end_before_the_start_is_ignored_with_a_message(staff_user):
    first = line(order=OrderFactory(placed_at=datetime(2026, 3, 1, 12, tzinfo=UTC)))
    page = grid(staff_user, start="2026-03-01", end="2026-02-01")
    assert ids(page) == [first.id]
    assert page.ignored == ["To: The end date Feb 1, 2026 is before the start date."]


def test_an_item_that_is_no_product_is_ignored_with_a_message(staff_user):
    a_line = line()
    page = grid(staff_user, item="987654321")
    assert ids(page) == [a_line.id]
    assert page.ignored == ["Item: there is no such item."]


def test_without_javascript_a_typed_name_picks_the_product_it_names(staff_user):
    mug = ProductFactory(name="Alpine Mug")
    ProductFactory(name="Alpine Mug Large")
    ProductFactory(name="Harbor Mug")
    mugs = line(product=mug)
    line()
    page = grid(staff_user, item_name="alpine mug")
    assert ids(page) == [mugs.id] and page.item_name == "Alpine Mug"
    assert page.filter_query == f"item={mug.pk}"
    vague = grid(staff_user, item_name="mug")
    assert len(vague.rows) == 2
    assert vague.ignored == ["Item: 3 items match “mug”: choose one from the list."]
    assert grid(staff_user, item_name="teapot").ignored == ["Item: no item is called “teapot”."]


# ---- Sorting and paging ----------------------------------------------------------------------


def test_an_unknown_sort_or_page_size_falls_back_quietly(staff_user):
    a_line = line()
    page = grid(staff_user, sort="password", per_page="5000")
    assert (page.sort, page.per_page, ids(page)) == ("-placed_at", 50, [a_line.id])
    assert grid(staff_user, per_page="200").per_page == 200


def test_a_garbage_or_foreign_cursor_shows_the_first_page(staff_user, small_pages):
    lines = [line(minutes_ago=i) for i in range(5)]
    first = [a_line.id for a_line in lines[:3]]
    assert ids(grid(staff_user, after="!!not-base64")) == first
    other_sort = grid(staff_user, sort="total").next_cursor
    assert ids(grid(staff_user, after=other_sort)) == first


def _walk(user, **filters) -> tuple[list[int], list[int]]:
    """Every row, following Next to the end, then Previous back to the start."""
    forward, page = [], grid(user, **filters)
    pages = [ids(page)]
    while page.next_cursor:
        page = grid(user, after=page.next_cursor, **filters)
        pages.append(ids(page))
    forward = [pk for chunk in pages for pk in chunk]
    backward = list(pages[-1])
    while page.previous_cursor:
        page = grid(user, before=page.previous_cursor, **filters)
        backward = ids(page) + backward
    return forward, backward


@pytest.mark.parametrize("sort", list(selectors.SORTS))
@pytest.mark.parametrize("filters", [{}, {"status": "paid"}, {"item": "mug"}])
def test_keyset_paging_shows_every_row_once_in_order_both_ways(
    staff_user, small_pages, sort, filters
):
    mug = ProductFactory()
    tie = NOW - timedelta(hours=1)  # several orders placed in the same second
    for i in range(11):
        order = OrderFactory(
            status=OrderStatus.PAID if i % 3 else OrderStatus.COMPLETE,
            placed_at=tie if i % 2 else NOW - timedelta(minutes=i),
        )
        for k in range(1 + i % 2):
            line(order=order, product=mug if (i + k) % 2 else None, quantity=1 + (i * k) % 3)
    if filters.get("item"):
        filters = {"item": str(mug.pk)}
    expected = ids(grid(staff_user, sort=sort, per_page="200", **filters))
    forward, backward = _walk(staff_user, sort=sort, **filters)
    assert forward == expected
    assert backward == expected
    assert len(set(expected)) == len(expected) > 3


def test_each_sort_orders_by_its_column(staff_user):
    for i, (total, quantity) in enumerate(
        [(Decimal("5.00"), 3), (Decimal("50.00"), 1), (Decimal("20.00"), 2)]
    ):
        order = OrderFactory(placed_at=NOW - timedelta(minutes=i))
        line(order=order, unit_price=total / quantity, quantity=quantity)

    def column(sort, attr):
        return [getattr(row, attr) for row in grid(staff_user, sort=sort).rows]

    assert column("-total", "total") == [Decimal("50.00"), Decimal("20.00"), Decimal("5.00")]
    assert column("total", "total") == [Decimal("5.00"), Decimal("20.00"), Decimal("50.00")]
    assert column("-quantity", "quantity") == [3, 2, 1]
    numbers = column("number", "number")
    assert numbers == sorted(numbers) and column("-number", "number") == numbers[::-1]
    dates = column("placed_at", "placed_at")
    assert dates == sorted(dates)


# ---- Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [{}, {"status": "paid"}, {"item": "mug"}, {"status": "paid", "sort": "-total"}],
    ids=["none", "status", "item", "status-sorted"],
)
def test_the_same_number_of_queries_for_10_or_100_rows(staff_client, filters):
    mug = ProductFactory(name="Mug")
    if filters.get("item"):
        filters = {**filters, "item": mug.pk}

    def add(count):
        for _ in range(count // 2):
            order = OrderFactory(status=OrderStatus.PAID)
            for _ in range(2):
                line(order=order, product=mug)

    add(10)
    params = {**filters, "per_page": 100}
    staff_client.get(GRID, params)  # warm: the session and the permission set are cached
    with CaptureQueriesContext(connection) as ten:
        response = staff_client.get(GRID, params)
    assert response.content.count(b"data-line=") == 10
    add(90)
    with CaptureQueriesContext(connection) as hundred:
        response = staff_client.get(GRID, params)
    assert response.content.count(b"data-line=") == 100
    assert len(ten) == len(hundred)
    # The user, the rows, the page's invoice numbers, the saved views for the tabs; the item's
    # name; the few orders' ids and then the page's line ids (orders.grid.selectors.
    # _fetch_by_ids) before its rows.
    expected = 4 + bool(filters.get("item")) + 2 * (filters.get("sort") == "-total")
    assert len(hundred) == expected, [q["sql"][:80] for q in hundred]


def test_the_dates_bound_the_columns_the_filter_set_was_made_with():
    from orders.grid.filters import LineFilter

    both = LineFilter({"start": "2026-01-01"}, date_fields=("order__placed_at", "placed_at"))
    plain = LineFilter({"start": "2026-01-01"})
    assert both.is_valid() and plain.is_valid()

    both_sql = str(both.filter_queryset(OrderLine.objects.all()).query)
    plain_sql = str(plain.filter_queryset(OrderLine.objects.all()).query)
    assert '"orders_order"."placed_at" >=' in both_sql
    assert '"orders_orderline"."placed_at" >=' in both_sql
    assert '"orders_order"."placed_at"' not in plain_sql
    assert '"orders_orderline"."placed_at" >=' in plain_sql
