"""Charts in Chromium: reports/_chart.html with static/js/charts.js and the vendored Chart.js
draw under the Content-Security-Policy without a console error, with axes formatted for their
kind, no animation for users who ask for reduced motion, and charts swapped in by htmx drawn
too. The page is a test-only URLconf (tests/browser/chart_urls.py), not a product page."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.chart_urls"),
]

# Painted pixels of a canvas (any alpha): a drawn chart has thousands, a blank canvas none.
PAINTED = """c => {
  const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]) painted++;
  return painted;
}"""
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
TICKS = "(c, axis) => Chart.getChart(c).scales[axis].ticks.map(t => t.label)"


def drawn(page, chart_id: str):
    canvas = page.locator(f'canvas[data-chart="{chart_id}"][data-chart-drawn]')
    canvas.wait_for()
    page.wait_for_function(
        f"""() => {{
          const c = document.querySelector('canvas[data-chart="{chart_id}"]');
          const chart = Chart.getChart(c);
          return chart && !chart.animating && ({PAINTED})(c) > 2000;
        }}"""
    )
    return canvas


def test_charts_draw_under_the_policy_with_formatted_axes(page, live_server):
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/charts/")

    sales = drawn(page, "sales-chart")
    assert sales.get_attribute("role") == "img"
    assert sales.get_attribute("aria-label") == "Net sales and margin by day"
    assert page.locator("figure.chart figcaption").first.text_content() == (
        "Net sales and margin by day"
    )
    money = sales.evaluate(TICKS, "money")
    assert money[0] == "$0" and all(label.startswith("$") for label in money)
    assert any(label.endswith("K") for label in money)  # compact: $14K, not $14,000.00
    assert all(label.endswith(" %") for label in sales.evaluate(TICKS, "percent"))
    # The gap (a day with no known margin) stays a gap, not a zero.
    assert sales.evaluate("c => Chart.getChart(c).data.datasets[1].data") == [32.5, 28, None, 41.2]
    tooltip = sales.evaluate(
        """c => {
          const chart = Chart.getChart(c);
          const label = chart.options.plugins.tooltip.callbacks.label;
          const item = (i, index) => ({dataset: chart.data.datasets[i], raw: chart.data.datasets[i].data[index]});
          return [label(item(0, 2)), label(item(1, 0)), label(item(1, 2))];
        }"""
    )
    assert tooltip == ["Net sales: $14,200.25", "Margin: 32.5 %", "Margin: —"]

    units = drawn(page, "units-chart")
    assert units.evaluate("c => Chart.getChart(c).config.type") == "bar"
    assert units.evaluate(TICKS, "count")[0] == "0"
    # Two includes on the page: Chart.js and charts.js ran their work once per canvas.
    assert page.evaluate("Object.keys(Chart.instances).length") == 2

    page.get_by_role("button", name="Show refunds").click()
    refunds = drawn(page, "refunds-chart")
    assert refunds.evaluate(TICKS, "money")[-1].startswith("$")
    assert page.locator("canvas[data-chart-drawn]").count() == 3
    # Chart.js itself came once, though three includes asked for it.
    assert page.locator("script[src*='vendor/chartjs/']").count() == 1
    assert refused == []
    assert Axe().run(page, options=WCAG).response["violations"] == []


def test_reduced_motion_draws_at_once_and_fits_a_narrow_window(new_context, live_server):
    page = new_context(reduced_motion="reduce", viewport={"width": 768, "height": 900}).new_page()
    page.goto(f"{live_server.url}/charts/")
    sales = drawn(page, "sales-chart")
    assert sales.evaluate("c => Chart.getChart(c).options.animation") is False
    width = sales.evaluate("c => c.getBoundingClientRect().width")
    assert 0 < width <= 768
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


def test_a_chart_without_its_data_is_reported_and_the_others_still_draw(
    page, live_server, browser_errors
):
    browser_errors.expect(r"charts\.js: cannot draw #bad-chart")
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(f"{live_server.url}/broken/")
    drawn(page, "units-chart")
    assert "charts.js: no data element #nowhere" in warnings
    assert page.locator("canvas[data-chart-drawn]").count() == 1
