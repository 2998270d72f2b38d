"""The report pages: the figures of the daily totals in a table beside the chart's data, the
definitions on the page, unknown cost shown as such, and a fixed number of queries."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ProductVendorFactory, VariantFactory

from .conftest import drop_ship_vendor, order_of, pay, roll_back

pytestmark = pytest.mark.django_db

PAGES = ["reports:sales", "reports:channels", "reports:products", "reports:stock"]


@pytest.fixture
def sales(clock):
    """Mar 10: an online order (2 shirts, cost known) and an in-store order (a mug with no cost
    recorded) paid; Mar 11: the in-store order rolled back."""
    shirt = VariantFactory(price=Decimal("25.00"), cost_price=Decimal("10.00"), stock=40)
    mug = VariantFactory(price=Decimal("9.00"), cost_price=Decimal("0"), stock=3)
    ProductVendorFactory(product=shirt.product, vendor=drop_ship_vendor(), is_default=True)
    online = order_of([(shirt, 2, "0")], shipping="5.00", tax="4.00")
    in_store = order_of([(mug, 1, "0")], channel="in_store")
    pay(online)
    pay(in_store)
    clock.advance(days=1)
    roll_back(in_store)
    return shirt, mug


def chart_data(response, chart_id):
    html = response.content.decode()
    start = html.index(f'<script id="{chart_id}" type="application/json">') + len(
        f'<script id="{chart_id}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_sales_over_time_shows_each_day_and_the_definitions(
    staff_client, sales, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get(
            reverse("reports:sales"), {"start": "2026-03-09", "end": "2026-03-11"}
        )
    html = response.content.decode()
    assert response.status_code == 200
    chart = chart_data(response, "sales-chart")
    assert chart["labels"] == ["Mon Mar 9, 2026", "Tue Mar 10, 2026", "Wed Mar 11, 2026"]
    # Net sales: 50 + 9 on the 10th, then the mug's 9 returned on the 11th.
    assert [Decimal(v) for v in chart["datasets"][0]["data"]] == [0, 59, -9]
    # Gross profit leaves out the mug (no cost): 50 − 20 on the 10th; on the 11th the mug's
    # return is unknown-cost too, so nothing.
    assert [Decimal(v) for v in chart["datasets"][1]["data"]] == [0, 30, 0]
    assert "$59.00" in html and "−$9.00" in html
    assert "$9.00 (1 unit)" in html  # sales with unknown cost, shown apart
    assert "A sale counts on the day its order was paid" in html
    assert "This range against the comparison range" in html


def test_by_channel_counts_online_orders_like_any_other(
    staff_client, sales, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = staff_client.get(
            reverse("reports:channels"), {"start": "2026-03-10", "end": "2026-03-11"}
        )
    chart = chart_data(response, "channel-chart")
    assert chart["labels"] == ["Online", "In store", "Back office"]
    assert [Decimal(v) for v in chart["datasets"][0]["data"]] == [50, 0, 0]
    assert [Decimal(v) for v in chart["datasets"][1]["data"]] == [30, 0, 0]
    assert "All channels" in response.content.decode()


def test_by_product_shows_unknown_cost_as_unknown_and_the_vendor(
    staff_client, sales, django_assert_max_num_queries
):
    shirt, mug = sales
    with django_assert_max_num_queries(10):
        response = staff_client.get(
            reverse("reports:products"),
            {"start": "2026-03-10", "end": "2026-03-10", "sort": "-profit"},
        )
    html = response.content.decode()
    assert chart_data(response, "product-chart")["labels"] == [shirt.sku, mug.sku]
    assert "Acme Supply" in html
    assert ">unknown<" in html  # the mug's profit: no cost recorded
    assert "60.0 %" in html  # the shirt's margin: 30 / 50


def test_stock_lists_the_lowest_first_with_cost_value(
    staff_client, sales, django_assert_max_num_queries
):
    shirt, mug = sales
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("reports:stock"))
    html = response.content.decode()
    assert chart_data(response, "stock-chart")["labels"][:2] == [mug.sku, shirt.sku]
    assert "$380.00" in html  # 38 shirts on hand × 10.00
    assert "unknown" in html  # the mugs' cost value


def test_bad_input_is_named_and_the_default_range_shown(staff_client, sales):
    response = staff_client.get(
        reverse("reports:sales"), {"start": "2026-03-12", "end": "2026-03-01", "group": "decade"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "To: The end date Mar 1, 2026 is before the start date." in html
    assert "Group: Select a valid choice." in html


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_show_the_replicas_note(staff_client, sales, name, monkeypatch):
    from core import replica
    from core.replica import ReadSource

    monkeypatch.setattr(
        replica,
        "reporting_db",
        lambda: ReadSource("default", "Showing live data: the reporting replica is 4 min behind."),
    )
    response = staff_client.get(reverse(name))
    assert "the reporting replica is 4 min behind" in response.content.decode()


def test_the_top_bar_has_reports_for_staff(staff_client):
    assert reverse("reports:sales") in staff_client.get(reverse("orders:list")).content.decode()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-10", "2026-03-10"),  # a Tuesday
        ("2026-03-09", "2026-03-15"),  # a whole week
        ("2026-02-26", "2026-04-03"),  # days, a whole month, days
        ("2024-12-07", "2026-12-06"),  # two years from a Saturday
        ("2026-01-01", "2026-12-31"),  # whole months only
    ],
)
def test_a_range_is_whole_months_weeks_and_days_each_day_once(start, end):
    from datetime import date, timedelta

    from reports.selectors import range_pieces

    first, last = date.fromisoformat(start), date.fromisoformat(end)
    pieces = range_pieces(first, last)
    covered = [
        m + timedelta(days=i)
        for m in pieces["month"]
        for i in range(31)
        if (m + timedelta(days=i)).month == m.month
    ]
    covered += [w + timedelta(days=i) for w in pieces["week"] for i in range(7)]
    covered += pieces["day"]
    assert sorted(covered) == [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert len(pieces["day"]) <= 12 and len(pieces["week"]) <= 10


def test_stock_pages_by_keyset_lowest_first(staff_client, django_assert_max_num_queries):
    variants = [VariantFactory(stock=n % 60) for n in range(55)]
    with django_assert_max_num_queries(10):
        first = staff_client.get(reverse("reports:stock"))
    html = first.content.decode()
    assert html.count("<tr") - 1 == 50  # the header row aside
    next_link = html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = staff_client.get(next_link).content.decode()
    shown = {v.sku for v in variants if v.sku in html} | {
        v.sku for v in variants if v.sku in second
    }
    assert len(shown) == 55
    assert second.count("<tr") - 1 == 5
