"""Every report exports as CSV and XLSX through the export machinery: the same figures as
its table, unknown cost left empty rather than shown as profit."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.roles import ORDER_STAFF
from tests.factories import VariantFactory

from .conftest import order_of, pay, roll_back
from .test_exports import csv_rows, xlsx_rows

pytestmark = pytest.mark.django_db
START = reverse("reports:export_start")


@pytest.fixture
def sales(clock):
    shirt = VariantFactory(price=Decimal("25.00"), cost_price=Decimal("10.00"), stock=40)
    mug = VariantFactory(price=Decimal("9.00"), cost_price=Decimal("0"), stock=3)
    online = order_of([(shirt, 2, "0")], shipping="5.00", tax="4.00")
    in_store = order_of([(mug, 1, "0")], channel="in_store")
    pay(online)
    pay(in_store)
    clock.advance(days=1)
    roll_back(in_store)
    return shirt, mug


def export(client, source, query="", fmt="csv"):
    return client.post(START, {"source": source, "query": query, "format": fmt})


def test_sales_over_time_csv_has_the_tables_figures(staff_client, sales):
    response = export(staff_client, "sales", "start=2026-03-10&end=2026-03-11&group=day")
    assert response.status_code == 200
    header, first, second = csv_rows(response)
    assert header[:5] == ["Period", "Orders", "Units sold", "Units returned", "Gross sales"]
    row = dict(zip(header, first, strict=True))
    assert (row["Period"], row["Orders"], row["Gross sales"], row["Net sales"]) == (
        "2026-03-10", "2", "59.00", "59.00"
    )  # fmt: skip
    assert (row["Total sales"], row["Cost"], row["Gross profit"], row["Margin (%)"]) == (
        "68.00", "20.00", "30.00", "60.0"
    )  # fmt: skip
    assert (row["Units with unknown cost"], row["Sales with unknown cost"]) == ("1", "9.00")
    returned = dict(zip(header, second, strict=True))
    # Only the mug (no cost) came back: its profit is unknown, not 0.00.
    assert (returned["Returns"], returned["Net sales"], returned["Gross profit"]) == (
        "9.00", "-9.00", ""
    )  # fmt: skip


def test_by_month_groups_the_days(staff_client, sales):
    _, *rows = csv_rows(
        export(staff_client, "sales", "start=2026-03-01&end=2026-03-31&group=month")
    )
    assert [(row[0], row[1]) for row in rows] == [("2026-03-01", "2")]


def test_channels_and_products_export_as_xlsx(staff_client, sales):
    shirt, mug = sales
    header, *rows = xlsx_rows(
        b"".join(
            export(
                staff_client, "channels", "start=2026-03-10&end=2026-03-11", "xlsx"
            ).streaming_content
        )
    )
    assert header[0] == "Channel" and [row[0] for row in rows] == ["In store", "Online"]
    header, *rows = xlsx_rows(
        b"".join(
            export(
                staff_client, "products", "start=2026-03-10&end=2026-03-10", "xlsx"
            ).streaming_content
        )
    )
    assert header[:4] == ["Item", "SKU", "Drop-ship vendor", "Units sold (net)"]
    assert [row[1] for row in rows] == [shirt.sku, mug.sku]  # best sellers first


def test_stock_exports_lowest_first_with_unknown_cost_value_empty(staff_client, sales):
    shirt, mug = sales
    header, *rows = csv_rows(export(staff_client, "stock"))
    values = [dict(zip(header, row, strict=True)) for row in rows]
    assert [v["SKU"] for v in values] == [mug.sku, shirt.sku]
    assert values[0]["Cost value on hand"] == ""  # the mug has no cost recorded
    assert values[1]["Cost value on hand"] == "380.00"


def test_a_user_without_the_reports_may_not_export_them(staff_client, sales):
    Group.objects.get(name=ORDER_STAFF).permissions.remove(
        Permission.objects.get(codename="view_reports")
    )
    response = export(staff_client, "sales")
    assert response.status_code == 302  # back, with the reason, and no file
    assert "You may not export sales over time." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    assert staff_client.get(reverse("reports:sales")).status_code == 403
