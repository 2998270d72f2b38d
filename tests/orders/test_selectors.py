"""The order list and detail selectors: filters, lookup, sorting, keyset paging, query counts."""

from datetime import timedelta
from decimal import Decimal
from itertools import chain

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Channel, OrderEvent, OrderStatus
from orders.selectors import SORTS, order_detail, order_id_by_number, order_list, order_row
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    VariantFactory,
    order_with_lines,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def numbers(page) -> list[int]:
    return [order.number for order in page.orders]


def placed(minutes_ago: int, **fields):
    return OrderFactory(placed_at=NOW - timedelta(minutes=minutes_ago), **fields)


def test_list_is_newest_first(staff_user):
    old, new, middle = placed(30), placed(1), placed(10)
    page = order_list(user=staff_user, filters={})
    assert numbers(page) == [new.number, middle.number, old.number]
    assert page.sort == "-placed_at"


def test_list_filters_by_status_and_channel(staff_user):
    paid_online = placed(1, status=OrderStatus.PAID, channel=Channel.ONLINE)
    placed(2, status=OrderStatus.PENDING, channel=Channel.ONLINE)
    paid_store = placed(3, status=OrderStatus.PAID, channel=Channel.IN_STORE)

    assert numbers(order_list(user=staff_user, filters={"status": "paid"})) == [
        paid_online.number,
        paid_store.number,
    ]
    assert numbers(order_list(user=staff_user, filters={"channel": "in_store"})) == [
        paid_store.number
    ]
    both = order_list(user=staff_user, filters={"status": "paid", "channel": "online"})
    assert numbers(both) == [paid_online.number]


def test_an_invalid_filter_value_is_ignored_and_the_valid_ones_apply(staff_user):
    online = placed(1, channel=Channel.ONLINE)
    placed(2, channel=Channel.IN_STORE)
    page = order_list(user=staff_user, filters={"status": "nonsense", "channel": "online"})
    assert numbers(page) == [online.number]


@pytest.mark.parametrize("typed", ["Ada@Example.com", "ada@example.com"])
def test_q_finds_a_customer_by_whole_email(staff_user, typed):
    ada = placed(1, customer_email="ada@example.com")
    placed(2, customer_email="adam@example.com")
    assert numbers(order_list(user=staff_user, filters={"q": typed})) == [ada.number]


def test_q_finds_customers_by_name_prefix_in_any_case(staff_user):
    ada = placed(1, customer_name="Ada Lovelace")
    adam = placed(2, customer_name="Adam Smith")
    placed(3, customer_name="Grace Hopper")
    assert numbers(order_list(user=staff_user, filters={"q": "ada"})) == [ada.number, adam.number]
    assert numbers(order_list(user=staff_user, filters={"q": "lovelace"})) == [ada.number]
    assert numbers(order_list(user=staff_user, filters={"q": "ovelace"})) == []


@pytest.mark.parametrize("typed", ["{n}", "#{n}", " # {n} "])
def test_q_with_an_order_number_matches_that_order(staff_user, typed):
    order = placed(1)
    placed(2)
    page = order_list(user=staff_user, filters={"q": typed.format(n=order.number)})
    assert numbers(page) == [order.number]
    assert page.number_not_found is None
    assert order_id_by_number(user=staff_user, number=order.number) == order.pk


def test_q_with_an_unknown_number_reports_it(staff_user):
    placed(1)
    page = order_list(user=staff_user, filters={"q": "#999999999"})
    assert page.orders == []
    assert page.number_not_found == 999999999
    assert order_id_by_number(user=staff_user, number=999999999) is None


@pytest.mark.parametrize("bad", ["customer_email", "-id; DROP TABLE", "", "placed_at__year"])
def test_a_sort_outside_the_whitelist_falls_back_to_newest_first(staff_user, bad):
    old, new = placed(5), placed(1)
    page = order_list(user=staff_user, filters={"sort": bad})
    assert page.sort == "-placed_at"
    assert numbers(page) == [new.number, old.number]


def test_sort_by_total_and_status(staff_user):
    small = placed(1, total=Decimal("5.00"), status=OrderStatus.SHIPPED)
    large = placed(2, total=Decimal("50.00"), status=OrderStatus.CANCELLED)
    medium = placed(3, total=Decimal("20.00"), status=OrderStatus.PAID)
    by_total = order_list(user=staff_user, filters={"sort": "-total"})
    assert numbers(by_total) == [large.number, medium.number, small.number]
    by_status = order_list(user=staff_user, filters={"sort": "status"})
    assert numbers(by_status) == [large.number, medium.number, small.number]


def walk(user, filters, direction="after"):
    """Every page, following next links (or previous links from the last page)."""
    pages = []
    page = order_list(user=user, filters=filters)
    pages.append(numbers(page))
    while page.next_cursor:
        page = order_list(user=user, filters={**filters, "after": page.next_cursor})
        pages.append(numbers(page))
    if direction == "before":
        back = [numbers(page)]
        while page.previous_cursor:
            page = order_list(user=user, filters={**filters, "before": page.previous_cursor})
            back.append(numbers(page))
        return back[::-1]
    return pages


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_keyset_pages_cover_every_order_once_forwards_and_backwards(staff_user, sort):
    # Ties on placed_at, total and status, so the id tie-breaker matters.
    for i in range(11):
        placed(
            i // 3,
            total=Decimal(10 * (i % 4)),
            status=[OrderStatus.PENDING, OrderStatus.PAID][i % 2],
        )
    everything = numbers(order_list(user=staff_user, filters={"sort": sort, "per_page": "200"}))
    assert len(everything) == 11

    forwards = walk(staff_user, {"sort": sort, "per_page": "4"})
    assert [len(p) for p in forwards] == [4, 4, 3]
    assert list(chain.from_iterable(forwards)) == everything

    backwards = walk(staff_user, {"sort": sort, "per_page": "4"}, direction="before")
    assert list(chain.from_iterable(backwards)) == everything


def test_first_page_has_no_previous_and_last_page_no_next(staff_user):
    for i in range(3):
        placed(i)
    first = order_list(user=staff_user, filters={"per_page": "2"})
    assert first.previous_cursor is None and first.next_cursor
    last = order_list(user=staff_user, filters={"per_page": "2", "after": first.next_cursor})
    assert last.next_cursor is None and last.previous_cursor
    whole = order_list(user=staff_user, filters={"per_page": "3"})
    assert not whole.has_other_pages


@pytest.mark.parametrize("cursor", ["garbage", "e30", "W10", "!!!"])
def test_a_garbage_cursor_shows_the_first_page(staff_user, cursor):
    new, old = placed(1), placed(2)
    page = order_list(user=staff_user, filters={"after": cursor})
    assert numbers(page) == [new.number, old.number]


def test_a_cursor_from_another_sort_is_ignored(staff_user):
    for i in range(3):
        placed(i)
    by_date = order_list(user=staff_user, filters={"per_page": "1"})
    page = order_list(
        user=staff_user, filters={"per_page": "1", "sort": "number", "after": by_date.next_cursor}
    )
    assert numbers(page) == numbers(order_list(user=staff_user, filters={"sort": "number"}))[:1]


@pytest.mark.parametrize(("raw", "expected"), [("10", 10), ("500", 200), ("0", 1), ("x", 50)])
def test_page_size_is_bounded(staff_user, raw, expected):
    assert order_list(user=staff_user, filters={"per_page": raw}).per_page == expected


def test_rows_carry_item_count_and_the_moves_the_status_machine_allows(staff_user):
    order = order_with_lines(lines=2, status=OrderStatus.PAID)
    order.lines.update(quantity=3)
    digital = order_with_lines(lines=0, status=OrderStatus.PAID)
    OrderLineFactory(
        order=digital, variant=VariantFactory(product=ProductFactory(is_shippable=False))
    )

    rows = {o.number: o for o in order_list(user=staff_user, filters={}).orders}
    physical_row, digital_row = rows[order.number], rows[digital.number]
    assert physical_row.item_count == 6
    # Shipped is offered through shipping's form (courier and tracking, asked in place).
    assert [t.target for t in physical_row.transitions] == [
        "pending",
        "in_process",
        "shipped",
        "cancelled",
    ]
    assert "complete" in [t.target for t in digital_row.transitions]
    assert "shipped" not in [t.target for t in digital_row.transitions]
    assert order_row(user=staff_user, number=order.number).item_count == 6


def test_list_costs_one_query_whatever_the_page_size(staff_user):
    staff_user.has_perm("orders.view_order")  # the user's permissions, cached on it once
    for _ in range(3):
        order_with_lines(lines=2)
    with CaptureQueriesContext(connection) as few:
        order_list(user=staff_user, filters={})
    for _ in range(12):
        order_with_lines(lines=3, status=OrderStatus.PAID)
    with CaptureQueriesContext(connection) as many:
        page = order_list(user=staff_user, filters={"per_page": "10"})
        page2 = order_list(user=staff_user, filters={"per_page": "10", "after": page.next_cursor})
    assert len(few) == 1
    assert len(many) == 2
    assert len(page.orders) == 10 and len(page2.orders) == 5
    assert not any("COUNT(" in q["sql"].upper() for q in [*few, *many])


def test_detail_fetches_order_profile_lines_and_timeline_in_constant_queries(staff_user):
    small = order_with_lines(lines=1)
    big = order_with_lines(lines=10)
    for i in range(10):
        OrderEvent.objects.create(
            order=big, kind=OrderEvent.Kind.NOTE, message=f"n{i}", actor=staff_user
        )

    def render_like_the_page(number):
        order = order_detail(user=staff_user, number=number)
        for event in order.events.all():
            str(event.who)
        return [line.sku for line in order.lines.all()], order.transitions, order.profile

    with CaptureQueriesContext(connection) as one:
        render_like_the_page(small.number)
    with CaptureQueriesContext(connection) as ten:
        render_like_the_page(big.number)
    # The order with its profile (and whether it has serial codes), its lines (and whether
    # each has download links), its events: none has links or codes, so no query for them.
    assert len(one) == len(ten) == 3


def test_detail_of_an_unknown_number_is_404(staff_user):
    with pytest.raises(Http404):
        order_detail(user=staff_user, number=424242)
