"""Seed 004's comment: "online order profit is not included but product quantity decrease; we
calculate it manually every day". An online order paid through the storefront, shipped with a
courier and tracking number, counts: its units leave stock and its profit is in the day's and
the channel's figures. Another, rolled back the next day, shows as a return on that day."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Channel, Order, OrderStatus
from reports.forms import ReportRange
from reports.selectors import sales_by_channel, sales_over_time
from shipping.services import shipment_create
from tests.factories import ProductFactory, VariantFactory, api_key
from tests.orders.test_api import order_body, post

from .conftest import ACTOR, roll_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def online_key():
    return api_key(Channel.ONLINE, name="Storefront")


@pytest.fixture
def tee():
    """What tests.orders.test_api.order_body sells: 2 at 20.00 (shipping 5.00, tax 3.20)."""
    return VariantFactory(
        sku="TEE-M-RED",
        product=ProductFactory(name="Tee", is_shippable=True),
        price=Decimal("20.00"),
        cost_price=Decimal("8.00"),
        stock=10,
    )


def test_an_online_order_paid_and_shipped_counts_in_the_profit(
    client, staff_client, online_key, tee, clock
):
    _, raw = online_key
    captured = {"status": "captured", "token": "tok_1", "authorization_code": "A1"}
    assert post(client, raw, order_body(payment=captured)).status_code == 201
    order = Order.objects.get()
    shipment_create(
        order_id=order.pk, carrier_name="City Courier", tracking_numbers=["CC-1001"], actor=ACTOR
    )
    order.refresh_from_db()
    tee.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and (tee.stock, tee.units_sold) == (8, 2)

    today = ReportRange(start=clock.now.date(), end=clock.now.date(), compare="none")
    day = sales_over_time(using="default", report=today).summary
    # 2 × 20.00 sold at a cost of 8.00 each: 24.00 of profit, 60 %; shipping and tax apart.
    assert (day["net"], day["cost_total"], day["profit"], day["margin"]) == (
        40,
        16,
        24,
        Decimal("60.0"),
    )
    assert (day["shipping_total"], day["tax_total"], day["total"]) == (
        5,
        Decimal("3.20"),
        Decimal("48.20"),
    )
    online = next(
        row for row in sales_by_channel(using="default", report=today) if row["channel"] == "online"
    )
    assert online["profit"] == 24 and online["orders_paid"] == 1
    html = staff_client.get(
        reverse("reports:channels"), {"start": today.start, "end": today.end}
    ).content.decode()
    assert "$24.00" in html


def test_an_online_order_rolled_back_the_next_day_is_a_return_on_that_day(
    client, online_key, tee, clock
):
    _, raw = online_key
    captured = {"status": "captured", "token": "tok_2", "authorization_code": "A2"}
    assert post(client, raw, order_body(payment=captured)).status_code == 201
    paid_on = clock.now.date()
    clock.advance(days=1)
    roll_back(Order.objects.get())

    both = sales_over_time(
        using="default", report=ReportRange(start=paid_on, end=clock.now.date(), compare="none")
    )
    first, second = both.rows
    assert (first["net"], first["profit"], first["returned"]) == (40, 24, 0)  # never changes
    assert (second["returned"], second["net"], second["profit"]) == (40, -40, -24)
    assert (second["shipping_total"], second["tax_total"]) == (-5, Decimal("-3.20"))
    assert both.summary["net"] == 0 and both.summary["orders_paid"] == 1
    tee.refresh_from_db()
    assert tee.stock == 10  # the units came back
