"""The chart machinery's server side: the vendored Chart.js is the Makefile's pinned release
(with its licence, no reference to a source map that is not shipped), and the include renders
an accessible figure with its data. Drawing is tested in Chromium (test_charts_browser.py)."""

import json
import re
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor" / "chartjs"


def test_the_vendored_chartjs_is_the_pinned_release_with_its_licence():
    makefile = (ROOT / "Makefile").read_text()
    version = re.search(r"^CHARTJS_VERSION := (\S+)$", makefile, re.M).group(1)
    assert re.search(r"^CHARTJS_INTEGRITY := sha512-\S+$", makefile, re.M)
    library = (VENDOR / "chart.umd.min.js").read_text()
    assert library.startswith(f"/*!\n * Chart.js v{version}\n")
    assert "sourceMappingURL" not in library  # collectstatic's manifest would look for the map
    assert "MIT License" in (VENDOR / "LICENSE.md").read_text()


def test_the_include_renders_a_labelled_figure_with_its_data_and_the_script():
    chart = {
        "type": "line",
        "labels": ["2026-03-01", "2026-03-02"],
        "datasets": [{"label": "Net sales", "data": [Decimal("12.50"), None], "axis": "money"}],
    }
    request = RequestFactory().get("/")
    html = render_to_string(
        "reports/_chart.html",
        {"chart": chart, "chart_id": "sales-chart", "caption": "Net sales <by day>"},
        request=request,
    )
    assert '<figure class="chart">' in html
    assert (
        '<canvas data-chart="sales-chart" data-currency="USD" role="img" '
        'aria-label="Net sales &lt;by day&gt;">' in html
    )
    assert '<figcaption class="chart-caption">Net sales &lt;by day&gt;</figcaption>' in html
    data = re.search(r'<script id="sales-chart" type="application/json">(.*?)</script>', html)
    assert json.loads(data.group(1))["datasets"][0]["data"] == ["12.50", None]
    script = re.search(r'<script src="([^"]+)" data-chartjs="([^"]+)" defer></script>', html)
    assert script.group(1).endswith("js/charts.js")
    assert script.group(2).endswith("vendor/chartjs/chart.umd.min.js")
    assert "style=" not in html and "<script>" not in html
