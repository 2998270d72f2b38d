"""A test-only URLconf (never in the product): a page that shows charts through the
reports/_chart.html include, so the browser tests can check the chart machinery on its own."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

PAGE = """{% extends "base.html" %}{% block title %}Charts{% endblock %}{% block content %}
<h1>Charts</h1>
{% include "reports/_chart.html" with chart=sales chart_id="sales-chart" caption="Net sales and margin by day" %}
{% include "reports/_chart.html" with chart=units chart_id="units-chart" caption="Units sold by month" %}
<button type="button" class="btn" hx-get="/fragment/" hx-target="#later">Show refunds</button>
<div id="later"></div>
{% endblock %}"""

# A canvas whose data never made it to the page and one whose data is not a chart, before a
# good chart.
BROKEN = """{% extends "base.html" %}{% block title %}Charts{% endblock %}{% block content %}
<h1>Charts</h1>
<canvas data-chart="nowhere" role="img" aria-label="Missing"></canvas>
{% include "reports/_chart.html" with chart=None chart_id="bad-chart" caption="Not a chart" %}
{% include "reports/_chart.html" with chart=units chart_id="units-chart" caption="Units sold by month" %}
{% endblock %}"""

FRAGMENT = """{% include "reports/_chart.html" with chart=refunds chart_id="refunds-chart" caption="Refunds by day" %}"""

SALES = {
    "type": "line",
    "labels": ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"],
    "datasets": [
        {
            "label": "Net sales",
            "data": ["1250.00", "980.50", "14200.25", "3100.00"],
            "axis": "money",
        },
        {"label": "Margin", "data": ["32.5", "28.0", None, "41.2"], "axis": "percent"},
    ],
}
UNITS = {
    "type": "bar",
    "labels": ["Jan", "Feb", "Mar"],
    "datasets": [
        {"label": "Online", "data": [120, 98, 143], "axis": "count"},
        {"label": "In store", "data": [40, 52, 61], "axis": "count"},
    ],
}
REFUNDS = {
    "type": "bar",
    "labels": ["2026-03-01", "2026-03-02"],
    "datasets": [{"label": "Refunds", "data": ["45.00", "120.00"], "axis": "money"}],
}


def _render(source: str, request, **context) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(source).render(context, request))


@login_not_required
def page(request):
    return _render(PAGE, request, sales=SALES, units=UNITS)


@login_not_required
def fragment(request):
    return _render(FRAGMENT, request, refunds=REFUNDS)


@login_not_required
def broken(request):
    return _render(BROKEN, request, units=UNITS)


urlpatterns = [path("charts/", page), path("fragment/", fragment), path("broken/", broken)]
