"""The bench's report rows: each report page answers over two years, and the upkeep probe
times the statement of a payment and leaves the totals as they were."""

import pytest

from devtools.benchmarking import PROBES, Context, UpkeepProbe
from reports.models import DailyTotals, VariantSales
from tests.factories import VariantFactory

from .conftest import order_of, pay, totals_by_day

pytestmark = pytest.mark.django_db


def test_every_report_row_answers(staff_client):
    pay(order_of([(VariantFactory(), 1, "0")]))
    rows = [p for p in PROBES if p.name.startswith("report:")]
    assert len(rows) == 7
    for probe in rows:
        result = probe.run(Context(client=staff_client, repeat=2, warmup=1))
        assert result.status == "200", (probe.name, result.status)


def test_the_upkeep_probe_measures_without_changing_the_totals():
    pay(order_of([(VariantFactory(), 2, "0")]))
    kept = totals_by_day()
    variants = sorted(VariantSales.objects.values_list("period", "channel", "units_sold"))
    result = UpkeepProbe().run(Context(repeat=3, warmup=0))
    assert result.median_ms > 0 and result.queries == 1
    assert totals_by_day() == kept and DailyTotals.objects.count() == 1
    assert sorted(VariantSales.objects.values_list("period", "channel", "units_sold")) == variants
    assert len(variants) == 6
