"""The demo's orders go in by COPY, around the services: seeding rebuilds the daily totals, so
the reports show the demo's two years."""

import pytest
from django.db.models import Max, Min, Sum

from devtools.seeding import seed
from orders.models import Order, OrderLine
from purchasing.models import PurchaseOrderLine
from reports.models import DailyTotals

pytestmark = pytest.mark.django_db


def test_seeding_builds_the_daily_totals_over_two_years():
    seed(orders=150, progress=False, random_seed=3)

    span = DailyTotals.objects.aggregate(first=Min("day"), last=Max("day"))
    assert (span["last"] - span["first"]).days > 365
    counted = DailyTotals.objects.aggregate(paid=Sum("orders"), back=Sum("orders_returned"))
    # Every sale that still stands is counted once: paid, less returned.
    assert counted["paid"] - counted["back"] == Order.objects.filter(stock_committed=True).count()
    assert counted["paid"] == Order.objects.filter(first_paid_at__isnull=False).count()


def test_the_demos_vendor_shipments_replace_the_cost_on_the_day_they_shipped():
    from reports.models import CostChange

    seed(orders=150, progress=False, random_seed=3)

    changes = list(CostChange.objects.all())
    assert changes  # shipped drop-ship lines
    for change in changes:
        line = OrderLine.objects.get(pk=change.order_line_id)
        po_line = PurchaseOrderLine.objects.get(pk=change.po_line_id)
        assert change.quantity == po_line.quantity_shipped
        assert change.cost_delta == change.quantity * (po_line.unit_cost - line.unit_cost)
    vendor_costs = sum(c.cost_delta for c in changes)
    line_costs = sum(
        line.unit_cost * line.quantity
        for line in OrderLine.objects.filter(order__stock_committed=True)
    )
    assert DailyTotals.objects.aggregate(cost=Sum("cost"))["cost"] == line_costs + vendor_costs
