"""The reports in Chromium: each opens with its chart drawn and a table of the same figures,
passes axe, works at 768 px; the range and grouping change; the CSV downloads."""

import json
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, VariantFactory
from tests.reports.conftest import order_of, pay, roll_back

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
REPORTS = [
    ("reports:sales", "sales-chart"),
    ("reports:channels", "channel-chart"),
    ("reports:products", "product-chart"),
    ("reports:stock", "stock-chart"),
]


@pytest.fixture
def sales(db):
    shirt = VariantFactory(price=Decimal("25.00"), cost_price=Decimal("10.00"), stock=40)
    mug = VariantFactory(price=Decimal("9.00"), cost_price=Decimal("0"), stock=3)
    pay(order_of([(shirt, 2, "0")], shipping="5.00", tax="4.00"))
    returned = order_of([(mug, 1, "0")], channel="in_store")
    pay(returned)
    roll_back(returned)
    pay(order_of([(mug, 2, "0")], channel="back_office"))


def money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", "").replace("−", "-") or "0")


def column(page, heading: str) -> list[str]:
    headers = [
        h.strip()
        for h in page.locator("table.report-grid").first.locator("thead th").all_text_contents()
    ]
    index = headers.index(heading)
    return (
        page.locator("table.report-grid")
        .first.locator(f"tbody tr td:nth-child({index + 1})")
        .all_inner_texts()
    )


def test_each_report_draws_its_chart_beside_the_same_figures(page, login, live_server, sales):
    UserFactory(role="staff", username="clerk")
    login("clerk", "pass-word-123", next_path=reverse("reports:sales"))
    page.set_viewport_size({"width": 768, "height": 1000})
    for name, chart_id in REPORTS:
        page.goto(f"{live_server.url}{reverse(name)}")
        canvas = page.locator(f'canvas[data-chart="{chart_id}"]')
        page.wait_for_function(
            'id => { const c = document.querySelector(`canvas[data-chart="${id}"]`);'
            " return window.Chart && c && window.Chart.getChart(c) !== undefined; }",
            arg=chart_id,
        )
        assert canvas.is_visible()
        results = Axe().run(page, options=WCAG)
        assert results.response["violations"] == [], (name, results.response["violations"])
        # The tables scroll inside their wrapper, never the page (once Chart.js has resized
        # its canvas to the scrollbar that a long page brings).
        page.wait_for_function(
            "() => document.documentElement.scrollWidth"
            " <= document.documentElement.clientWidth + 1",
            timeout=3000,
        )  # the tables scroll inside their wrapper, not the page
    page.goto(f"{live_server.url}{reverse('reports:channels')}")
    chart = json.loads(page.locator("#channel-chart").inner_text())
    nets = column(page, "Net sales")
    assert [Decimal(v) for v in chart["datasets"][0]["data"]] == [money(v) for v in nets[:3]]
    assert money(nets[3]) == Decimal("68.00")  # all channels: 50 + 18 (the mug came back)


def test_change_the_range_and_grouping_then_download_the_csv(page, login, live_server, sales):
    UserFactory(role="staff", username="clerk")
    login("clerk", "pass-word-123", next_path=reverse("reports:sales"))
    today = timezone.localdate()
    page.get_by_label("From").fill(f"{today:%Y-%m}-01")
    page.get_by_label("To").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("Group").select_option("month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**group=month**")
    chart = json.loads(page.locator("#sales-chart").inner_text())
    assert chart["labels"] == [f"{today:%B %Y}"]
    assert (
        [money(v) for v in column(page, "Net sales")]
        == [Decimal(v) for v in chart["datasets"][0]["data"]]
        == [Decimal("68.00")]
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    rows = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("Period,Orders,Units sold")
    assert rows[1].startswith(f"{today:%Y-%m}-01,3,")
