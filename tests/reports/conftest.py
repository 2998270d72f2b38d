"""Helpers for the reports' tests: a clock the services read, orders paid and reversed through
the real services, vendor shipments, and the daily totals as plain dicts."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from orders.actors import Actor
from orders.models import OrderStatus
from orders.services import order_transition
from payments.services import PaymentInfo, order_mark_paid
from purchasing.services import po_create_for_order, po_lines_ship
from reports.models import DailyTotals, VariantSales
from reports.totals import FIGURES, ORDER_FIGURES
from tests.factories import OrderFactory, OrderLineFactory
from tests.purchasing.conftest import email_vendor

ACTOR = Actor.system("Test")
_tracking = count(1)


class Clock:
    """timezone.now() as the test sets it (every `timezone.now()` caller reads it: the
    status events' created_at, the services)."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def order_of(lines: list[tuple], *, channel="online", shipping="0", tax="0", discount="0"):
    """A pending order of `lines` [(variant, quantity, line discount)], with its amounts true
    (total = subtotal − discount + shipping + tax)."""
    order = OrderFactory(channel=channel)
    for variant, quantity, line_discount in lines:
        OrderLineFactory(
            order=order, variant=variant, quantity=quantity, discount=Decimal(line_discount)
        )
    order.refresh_from_db()
    order.discount_total = Decimal(discount)
    order.shipping_total = Decimal(shipping)
    order.tax_total = Decimal(tax)
    order.total = order.subtotal - order.discount_total + order.shipping_total + order.tax_total
    order.save(update_fields=["discount_total", "shipping_total", "tax_total", "total"])
    return order


def pay(order):
    order.refresh_from_db()
    return order_mark_paid(
        order_id=order.pk, payment=PaymentInfo(method="check", amount=order.total), actor=ACTOR
    )


def roll_back(order):
    return order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)


def cancel(order):
    return order_transition(order_id=order.pk, to=OrderStatus.CANCELLED, actor=ACTOR)


def vendor_ships(order, line, quantity: int, *, vendor=None):
    """The line's vendor ships `quantity` units: its PO is created and sent first if need be."""
    po_line = line.purchase_order_lines.filter(is_open=True).first()
    if po_line is None:
        po = po_create_for_order(
            order_id=order.pk, choices={line.pk: vendor.pk}, send=True, actor=ACTOR
        )[0]
        po_line = po.lines.get()
    return po_lines_ship(
        purchase_order_id=po_line.purchase_order_id,
        lines={po_line.pk: quantity},
        carrier_name="Test Courier",
        tracking_numbers=[f"TC{next(_tracking):08d}"],
        actor=ACTOR,
    )


def drop_ship_vendor():
    return email_vendor(name="Acme Supply")


def totals_by_day() -> dict:
    """(day, channel) -> {figure: value}, all-zero rows left out, in day order."""
    rows = {}
    figures = DailyTotals.objects.values("day", "channel", *FIGURES, *ORDER_FIGURES)
    for row in figures.order_by("day", "channel"):
        key = (row.pop("day"), row.pop("channel"))
        if any(row.values()):
            rows[key] = row
    return rows


def totals_by_variant() -> dict:
    """(day, channel, variant, product) -> {figure: value} from the day rows of each channel,
    all-zero rows left out; the week, month and all-channel rows must add up to them."""
    rows, rolled_up = {}, defaultdict(lambda: defaultdict(int))
    for row in VariantSales.objects.values(
        "period", "start", "channel", "variant_id", "product_id", *FIGURES
    ).order_by("start", "channel", "variant_id", "period"):
        period, start, channel = row.pop("period"), row.pop("start"), row.pop("channel")
        key = (start, channel, row.pop("variant_id"), row.pop("product_id"))
        if period == "day" and channel:
            if any(row.values()):
                rows[key] = row
        else:
            rolled_up[(period, *key)] = row
    _check_rollups(rows, rolled_up)
    return rows


def _check_rollups(days: dict, rolled_up: dict) -> None:
    expected = defaultdict(lambda: defaultdict(int))
    for (day, channel, variant, product), row in days.items():
        week = day - timedelta(days=day.weekday())
        for period, start in (("week", week), ("month", day.replace(day=1)), ("day", day)):
            for where in {channel, ""} if period != "day" else {""}:
                for figure, value in row.items():
                    expected[(period, start, where, variant, product)][figure] += value
    found = {k: dict(v) for k, v in rolled_up.items() if any(v.values())}
    wanted = {k: dict(v) for k, v in expected.items() if any(v.values())}
    assert found == wanted
