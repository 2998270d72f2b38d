"""The daily totals: kept exact by every payment, rollback, cancel and vendor cost change, in
the same transaction, and equal to what the rebuild finds from scratch."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orders.models import Order, OrderStatus
from orders.services import OrderError
from reports.forms import ReportRange
from reports.models import CostChange, DailyTotals
from reports.selectors import sales_by_product, sales_over_time
from reports.totals import FIGURES, ORDER_FIGURES, daily_totals_rebuild
from tests.factories import ProductFactory, ProductVendorFactory, VariantFactory

from .conftest import (
    cancel,
    drop_ship_vendor,
    order_of,
    pay,
    roll_back,
    totals_by_day,
    totals_by_variant,
    vendor_ships,
)

pytestmark = pytest.mark.django_db

# (price, cost, PO cost, ships): a cost of 0.00 is no cost recorded.
CATALOG = [
    ("19.99", "8.40", "6.10", True),
    ("7.25", "0.00", "3.33", True),
    ("120.00", "55.55", "50.01", True),
    ("12.00", "4.00", "4.00", False),  # an e-book: paid means complete
]
CHANNELS = ["online", "in_store", "back_office"]


class Oracle:
    """The figures computed independently, in Python, from what happened."""

    def __init__(self):
        self.days = defaultdict(lambda: defaultdict(Decimal))
        self.variants = defaultdict(lambda: defaultdict(Decimal))
        self.shipped = defaultdict(int)

    def _add(self, order, line, sign: int, day):
        net = line.unit_price * line.quantity - line.discount
        moves = {
            "units_sold" if sign > 0 else "units_returned": line.quantity,
            "gross_sales": line.unit_price * line.quantity if sign > 0 else 0,
            "discounts": line.discount if sign > 0 else 0,
            "returns": net if sign < 0 else 0,
            "cost": sign * line.unit_cost * line.quantity,
            "unknown_cost_units": sign * line.quantity if line.unit_cost == 0 else 0,
            "unknown_cost_sales": sign * net if line.unit_cost == 0 else 0,
        }
        for figure, value in moves.items():
            self.days[(day, order.channel)][figure] += value
            self.variants[(day, order.channel, line.variant_id, line.product_id)][figure] += value

    def sale(self, order, day, sign=1):
        for line in order.lines.all():
            self._add(order, line, sign, day)
        row = self.days[(day, order.channel)]
        row["orders" if sign > 0 else "orders_returned"] += 1
        if sign > 0:
            row["discounts"] += order.discount_total
        else:
            row["returns"] -= order.discount_total
        row["shipping"] += sign * order.shipping_total
        row["tax"] += sign * order.tax_total

    def vendor_shipped(self, order, line, quantity, po_cost, day):
        before = self.shipped[line.pk]
        self.shipped[line.pk] += quantity
        moves = {"cost": quantity * (po_cost - line.unit_cost)}
        if line.unit_cost == 0:
            net = line.unit_price * line.quantity - line.discount

            def share(n):
                return (net * n / line.quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)

            moves["unknown_cost_units"] = -quantity
            moves["unknown_cost_sales"] = -(share(before + quantity) - share(before))
        for figure, value in moves.items():
            self.days[(day, order.channel)][figure] += value
            self.variants[(day, order.channel, line.variant_id, line.product_id)][figure] += value

    @staticmethod
    def _rows(table, figures):
        rows = {}
        for key, values in table.items():
            row = {figure: values.get(figure, 0) for figure in figures}
            if any(row.values()):
                rows[key] = row
        return rows

    def by_day(self):
        return self._rows(self.days, FIGURES + ORDER_FIGURES)

    def by_variant(self):
        return self._rows(self.variants, FIGURES)


def _catalog(vendor):
    variants = []
    for price, cost, po_cost, ships in CATALOG:
        variant = VariantFactory(
            product=ProductFactory(is_shippable=ships),
            price=Decimal(price),
            cost_price=Decimal(cost),
            stock=1000,
        )
        ProductVendorFactory(product=variant.product, vendor=vendor, cost=Decimal(po_cost))
        variants.append(variant)
    return variants


line_st = st.tuples(
    st.integers(0, len(CATALOG) - 1), st.integers(1, 4), st.integers(0, 100)
)  # (variant, quantity, discount as % of the line)
order_st = st.fixed_dictionaries(
    {
        "lines": st.lists(line_st, min_size=1, max_size=3, unique_by=lambda line: line[0]),
        "channel": st.sampled_from(CHANNELS),
        "shipping": st.sampled_from(["0", "4.99", "12.50"]),
        "tax": st.sampled_from(["0", "1.37", "9.99"]),
        "discount": st.sampled_from(["0", "0.50", "3.00"]),
    }
)
op_st = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 3)),
    st.tuples(st.just("pay"), st.integers(0, 3)),  # twice: most histories start paying
    st.tuples(st.just("roll_back"), st.integers(0, 3)),
    st.tuples(st.just("cancel"), st.integers(0, 3)),
    st.tuples(st.just("ship"), st.integers(0, 3), st.integers(0, 2), st.integers(1, 4)),
    st.tuples(st.just("ship"), st.integers(0, 3), st.integers(0, 2), st.integers(1, 4)),
    st.tuples(st.just("later"), st.sampled_from([1, 5, 20, 30, 200, 800])),  # hours
)


def _make_orders(specs, variants):
    orders = []
    for spec in specs:
        lines = []
        for index, quantity, percent in spec["lines"]:
            most = variants[index].price * quantity
            lines.append(
                (variants[index], quantity, (most * percent / 400).quantize(Decimal("0.01")))
            )
        order = order_of(
            lines,
            channel=spec["channel"],
            shipping=spec["shipping"],
            tax=spec["tax"],
            discount=spec["discount"],
        )
        orders.append(order)
    return orders


def _apply(op, orders, oracle, clock, po_costs):
    kind = op[0]
    if kind == "later":
        clock.advance(hours=op[1])
        return
    order = orders[op[1] % len(orders)]
    before = Order.objects.get(pk=order.pk).status
    day = timezone.localdate(clock.now)
    try:
        if kind == "pay":
            pay(order)
        elif kind == "roll_back":
            roll_back(order)
        elif kind == "cancel":
            cancel(order)
        else:
            lines = list(order.lines.order_by("pk"))
            line = lines[op[2] % len(lines)]
            quantity = min(op[3], line.quantity)  # more than the line has is refused anyway
            vendor_ships(order, line, quantity, vendor=po_costs["vendor"])
            oracle.vendor_shipped(order, line, quantity, po_costs[line.variant_id], day)
            event("a vendor shipped")
            return
    except OrderError:
        return
    order.refresh_from_db()
    if before == OrderStatus.PENDING and order.status != OrderStatus.PENDING and kind == "pay":
        oracle.sale(order, day)
        event("an order paid")
    elif before != OrderStatus.PENDING and kind in ("roll_back", "cancel"):
        oracle.sale(order, day, sign=-1)
        event("a paid order rolled back or cancelled")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(order_st, min_size=1, max_size=3), ops=st.lists(op_st, min_size=3, max_size=20)
)
def test_random_histories_give_the_totals_a_from_scratch_computation_gives(
    clock, settings, specs, ops
):
    settings.TIME_ZONE = "America/New_York"
    start = clock.now
    with transaction.atomic():
        vendor = drop_ship_vendor()
        variants = _catalog(vendor)
        po_costs = {"vendor": vendor}
        po_costs.update({v.pk: Decimal(spec[2]) for v, spec in zip(variants, CATALOG, strict=True)})
        orders = _make_orders(specs, variants)
        oracle = Oracle()
        for op in ops:
            _apply(op, orders, oracle, clock, po_costs)

        assert totals_by_day() == oracle.by_day()
        assert totals_by_variant() == oracle.by_variant()
        daily_totals_rebuild()
        assert totals_by_day() == oracle.by_day()
        assert totals_by_variant() == oracle.by_variant()
        first, last = timezone.localdate(start), timezone.localdate(clock.now)
        event("over a month" if (last - first).days > 31 else "within a month")
        _reports_agree(oracle, first=first, last=last)
        transaction.set_rollback(True)
    clock.now = start


def _reports_agree(oracle, *, first, last):
    """What the pages show over the whole history (and each channel) is the oracle's sums:
    Sales over time and By channel from the day rows, By product from its months, weeks and
    days."""
    for channel in ["", *CHANNELS]:
        report = ReportRange(first, last, group="week", compare="none", channel=channel)
        summary = sales_over_time(using="default", report=report).summary
        days = [row for (day, ch), row in oracle.by_day().items() if channel in ("", ch)]
        for figure, name in [("gross_sales", "gross"), ("returns", "returned"), ("cost", "cost_total"),
                             ("shipping", "shipping_total"), ("orders", "orders_paid")]:  # fmt: skip
            assert summary[name] == sum(row[figure] for row in days), (channel, figure)
        expected = defaultdict(lambda: defaultdict(Decimal))
        for (day, ch, variant, _), row in oracle.by_variant().items():
            if channel in ("", ch):
                for figure in ("units_sold", "gross_sales", "cost", "unknown_cost_sales"):
                    expected[variant][figure] += row[figure]
        found = {
            row["variant_id"]: {"units_sold": row["units"], "gross_sales": row["gross"],
                                "cost": row["cost_total"], "unknown_cost_sales": row["unknown_sales"]}
            for row in sales_by_product(using="default", report=report)
        }  # fmt: skip
        assert {v: f for v, f in found.items() if any(f.values())} == {
            v: dict(f) for v, f in expected.items() if any(f.values())
        }


def test_a_sale_counts_on_the_day_paid_and_a_rollback_as_a_return_on_its_own_day(clock, settings):
    settings.TIME_ZONE = "America/New_York"
    variant = VariantFactory(price=Decimal("30.00"), cost_price=Decimal("12.00"))
    order = order_of([(variant, 2, "5.00")], shipping="4.00", tax="2.20", discount="1.00")
    pay(order)  # Mar 10, 10:00 in New York
    clock.advance(days=1)
    roll_back(order)

    day1, day2 = totals_by_day().values()
    assert day1["orders"] == 1 and day1["units_sold"] == 2
    assert (day1["gross_sales"], day1["discounts"], day1["cost"]) == (60, 6, 24)
    assert (day1["shipping"], day1["tax"], day1["returns"]) == (Decimal("4.00"), Decimal("2.20"), 0)
    assert day2["orders_returned"] == 1 and day2["units_returned"] == 2
    # Given back: the items after their discounts (55.00 − the order's 1.00), shipping, tax.
    assert (day2["returns"], day2["shipping"], day2["tax"], day2["cost"]) == (
        54,
        -4,
        Decimal("-2.20"),
        -24,
    )
    assert day2["gross_sales"] == 0  # the first day's figures never change


def test_the_rebuild_command_recomputes_what_the_upkeep_kept(clock):
    variant = VariantFactory()
    paid, returned = order_of([(variant, 1, "0")]), order_of([(variant, 3, "1.00")])
    pay(paid)
    pay(returned)
    cancel(returned)
    kept = (totals_by_day(), totals_by_variant())
    DailyTotals.objects.update(gross_sales=0)  # damage, as a bad import would

    call_command("reports_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert (totals_by_day(), totals_by_variant()) == kept


def test_a_vendors_cost_replaces_the_lines_cost_on_the_day_it_ships(clock):
    vendor = drop_ship_vendor()
    variant = VariantFactory(price=Decimal("20.00"), cost_price=Decimal("0.00"))
    ProductVendorFactory(product=variant.product, vendor=vendor, cost=Decimal("7.00"))
    order = order_of([(variant, 3, "1.00")])
    pay(order)
    line = order.lines.get()
    clock.advance(days=2)
    vendor_ships(order, line, 1, vendor=vendor)
    vendor_ships(order, line, 2, vendor=vendor)

    sold, shipped = totals_by_day().values()
    assert (sold["unknown_cost_units"], sold["unknown_cost_sales"], sold["cost"]) == (3, 59, 0)
    assert (shipped["unknown_cost_units"], shipped["unknown_cost_sales"]) == (-3, -59)
    assert shipped["cost"] == 21
    assert sorted(CostChange.objects.values_list("unknown_cost_sales_delta", flat=True)) == [
        Decimal("-39.33"),
        Decimal("-19.67"),
    ]


def test_a_refused_change_adds_nothing(clock):
    variant = VariantFactory()
    order = order_of([(variant, 1, "0")])
    with pytest.raises(OrderError):
        roll_back(order)  # pending: nothing to roll back
    assert totals_by_day() == {}
