"""The demo's orders go in by COPY, around the services: seeding rebuilds the daily totals, so
the reports show the demo's two years."""

import pytest
from django.db.models import Max, Min, Sum

from devtools.seeding import seed
from orders.models import Order
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
