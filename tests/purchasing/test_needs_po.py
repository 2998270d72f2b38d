"""The order list's "Needs a PO" filter, which purchasing registers (orders.list_conditions):
Paid or In process orders with a drop-ship line nobody has ordered from a vendor yet."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.actors import Actor
from orders.models import Channel, OrderStatus
from orders.selectors import order_list, orders_matching, saved_view_query
from purchasing.services import po_cancel, po_create_for_order
from tests.factories import OrderLineFactory, order_with_lines

from .conftest import email_vendor, supplied_line

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")
LIST = reverse("orders:list")
NEEDS_PO = {"needs_po": "yes"}


def listed(user, **filters) -> set[int]:
    return {order.number for order in order_list(user=user, filters=filters).orders}


def waiting_order(vendor, *, status=OrderStatus.PAID, **line):
    order = order_with_lines(lines=0, status=status)
    return order, supplied_line(order, vendor, default=False, **line)


def test_an_order_with_a_drop_ship_line_on_no_po_needs_one(staff_user):
    order, _ = waiting_order(email_vendor())
    in_process, _ = waiting_order(email_vendor(), status=OrderStatus.IN_PROCESS)
    stock_only = order_with_lines(lines=2, status=OrderStatus.PAID)
    assert listed(staff_user, **NEEDS_PO) == {order.number, in_process.number}
    assert stock_only.number in listed(staff_user)


def test_a_line_on_an_open_po_does_not_need_one_until_the_po_is_cancelled(staff_user):
    vendor = email_vendor()
    order, line = waiting_order(vendor)
    [po] = po_create_for_order(
        order_id=order.pk, choices={line.pk: vendor.pk}, send=False, actor=ACTOR
    )
    assert order.number not in listed(staff_user, **NEEDS_PO)
    po_cancel(purchase_order_id=po.pk, actor=ACTOR)
    assert order.number in listed(staff_user, **NEEDS_PO)


def test_one_line_still_waiting_is_enough(staff_user):
    vendor = email_vendor()
    order, line = waiting_order(vendor)
    supplied_line(order, vendor)
    all_ordered, ordered = waiting_order(vendor)
    po_create_for_order(order_id=order.pk, choices={line.pk: vendor.pk}, send=False, actor=ACTOR)
    po_create_for_order(
        order_id=all_ordered.pk, choices={ordered.pk: vendor.pk}, send=False, actor=ACTOR
    )
    assert listed(staff_user, **NEEDS_PO) == {order.number}


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.SHIPPED])
def test_an_order_not_paid_or_in_process_does_not(staff_user, status):
    waiting_order(email_vendor(), status=status)
    assert listed(staff_user, **NEEDS_PO) == set()


def test_lines_that_ship_from_stock_or_are_sent_or_do_not_ship_do_not(staff_user):
    vendor = email_vendor()
    no_vendor = order_with_lines(lines=0, status=OrderStatus.PAID)
    OrderLineFactory(order=no_vendor)
    waiting_order(vendor, quantity=2, quantity_fulfilled=2)
    waiting_order(vendor, is_shippable=False)
    waiting_order(email_vendor(is_active=False))
    assert listed(staff_user, **NEEDS_PO) == set()


def test_it_combines_with_the_other_filters_and_travels_with_exports(staff_user):
    vendor = email_vendor()
    online, _ = waiting_order(vendor)
    in_store = order_with_lines(lines=0, status=OrderStatus.PAID, channel=Channel.IN_STORE)
    supplied_line(in_store, vendor, default=False)
    order_with_lines(lines=1, status=OrderStatus.PAID, channel=Channel.IN_STORE)
    order_with_lines(lines=1, status=OrderStatus.PAID, channel=Channel.ONLINE)
    assert listed(staff_user, **NEEDS_PO, channel="in_store") == {in_store.number}
    assert listed(staff_user, **NEEDS_PO, status="in_process") == set()
    matching = orders_matching(user=staff_user, filters={**NEEDS_PO, "channel": "online"})
    assert [order.number for order in matching] == [online.number]
    assert saved_view_query("needs_po=yes&after=abc") == "needs_po=yes"


def test_a_value_that_is_not_a_choice_is_ignored_and_said(staff_user):
    order, _ = waiting_order(email_vendor())
    other = order_with_lines(lines=1, status=OrderStatus.PENDING)
    page = order_list(user=staff_user, filters={"needs_po": "maybe"})
    assert {o.number for o in page.orders} == {order.number, other.number}
    assert page.filterset.ignored == ["Needs a PO: “maybe” is not one of the choices."]


def test_the_filter_keeps_the_list_in_one_query(staff_user):
    staff_user.has_perm("orders.view_order")
    vendor = email_vendor()
    for _ in range(3):
        waiting_order(vendor)
    with CaptureQueriesContext(connection) as few:
        assert len(order_list(user=staff_user, filters=NEEDS_PO).orders) == 3
    for _ in range(12):
        waiting_order(vendor)
    with CaptureQueriesContext(connection) as many:
        assert len(order_list(user=staff_user, filters=NEEDS_PO).orders) == 15
    assert len(few) == len(many) == 1
    assert "EXISTS" in many[0]["sql"].upper()


def test_the_list_page_offers_the_filter_and_keeps_it(staff_client):
    order, _ = waiting_order(email_vendor())
    other = order_with_lines(lines=1, status=OrderStatus.PAID)
    page = staff_client.get(LIST).content.decode()
    assert '<select name="needs_po"' in page and "Needs a PO" in page
    assert "Clear filters" not in page
    filtered = staff_client.get(LIST, NEEDS_PO).content.decode()
    assert '<option value="yes" selected>Needs a PO</option>' in filtered
    assert f"#{order.number}<" in filtered and f"#{other.number}<" not in filtered
    assert "Clear filters" in filtered


def test_the_list_page_costs_the_same_queries_with_the_filter(staff_client):
    vendor = email_vendor()
    for _ in range(5):
        waiting_order(vendor)
    staff_client.get(LIST, NEEDS_PO)  # warm: the session and the permission set are cached
    with CaptureQueriesContext(connection) as five:
        staff_client.get(LIST, NEEDS_PO)
    for _ in range(20):
        waiting_order(vendor)
    with CaptureQueriesContext(connection) as many:
        staff_client.get(LIST, NEEDS_PO)
    assert len(five) == len(many) == 4
