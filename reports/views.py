"""Export pages (start an export of a list, watch a large one's progress, download it) and the
reports (sales over time, by channel, by product, stock)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Variant
from core import keyset
from core.replica import read_reporting
from orders.models import Channel

from . import services
from .exports import SOURCES
from .forms import ReportForm
from .models import Export
from .selectors import (
    SalesReport,
    comparison_rows,
    figures_added,
    rows_of,
    sales_by_channel,
    sales_by_product,
    sales_over_time,
    stock_levels,
)
from .tables import (
    PERIOD_FORMATS,
    PRODUCT_COLUMNS,
    SALES_COLUMNS,
    ChannelTable,
    ComparisonTable,
    ExportTable,
    FigureTable,
    StockTable,
    period_column,
)

EXPORT = "reports.add_export"
CONTENT_TYPES = {
    Export.Format.CSV: "text/csv; charset=utf-8",
    Export.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _back(source_key: str, query: str) -> str:
    source = SOURCES.get(source_key)
    try:
        url = reverse(source.list_url_name) if source else reverse("home")
    except NoReverseMatch:
        url = reverse("home")
    return f"{url}?{query}" if query else url


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required(EXPORT, raise_exception=True)
def export_start(request):
    """Export what the list shows: at once if it is small, else on the worker."""
    source_key = request.POST.get("source", "")
    query = request.POST.get("query", "")
    try:
        plan = services.export_plan(
            user=request.user,
            source_key=source_key,
            query=query,
            fmt=request.POST.get("format", ""),
        )
    except services.ExportError as error:
        messages.error(request, str(error))
        return redirect(_back(source_key, query))
    if not plan.inline:
        export = services.export_queue(plan, user=request.user)
        messages.info(
            request,
            "That is a large export: the worker is making the file. "
            "It will be ready to download here.",
        )
        return redirect("reports:export_detail", pk=export.pk)
    if plan.format == Export.Format.XLSX:
        handle = services.export_xlsx_file(plan, user=request.user)
        response = FileResponse(handle, content_type=CONTENT_TYPES[plan.format])
    else:
        response = StreamingHttpResponse(
            services.export_stream_csv(plan, user=request.user),
            content_type=CONTENT_TYPES[plan.format],
        )
    return _attachment(response, plan.filename)


def _own_export(request, pk: int) -> Export:
    return get_object_or_404(Export, pk=pk, created_by=request.user)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export_list(request):
    exports = Export.objects.filter(created_by=request.user)[:50]
    return render(request, "reports/export_list.html", {"table": ExportTable(exports)})


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export_detail(request, pk: int):
    export = _own_export(request, pk)
    context = {"export": export, "back_url": _back(export.source, export.query)}
    if request.htmx:
        return render(request, "reports/export_detail.html#progress", context)
    return render(request, "reports/export_detail.html", context)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export_download(request, pk: int):
    export = _own_export(request, pk)
    if export.status != Export.Status.DONE or not export.file:
        raise Http404("This export is not ready.")
    response = FileResponse(export.file.open("rb"), content_type=CONTENT_TYPES[export.format])
    return _attachment(response, export.filename)


# ---- Reports --------------------------------------------------------------------------------

VIEW_REPORTS = "reports.view_reports"
STOCK_PER_PAGE = 50


def _report_page(request, template: str, context: dict):
    form = context["form"]
    context.setdefault("report", form.report_range())
    return render(request, template, {"problems": form.problems, **context})


def _periods_chart(sales: SalesReport) -> dict:
    group = sales.report.group
    datasets = [
        {"label": "Net sales", "data": [row["net"] for row in sales.rows], "axis": "money"},
        {"label": "Gross profit", "data": [row["profit"] for row in sales.rows], "axis": "money"},
    ]
    if sales.compared is not None:
        datasets.append(
            {
                "label": f"Net sales, {sales.compared.start:%b %-d, %Y} – {sales.compared.end:%b %-d, %Y}",
                "data": [row["net"] for row in sales.compared_rows],
                "axis": "money",
            }
        )
    labels = [row["period"].strftime(PERIOD_FORMATS[group]) for row in sales.rows]
    return {"type": "line", "labels": labels, "datasets": datasets}


@require_GET
@permission_required(VIEW_REPORTS, raise_exception=True)
def sales_report(request):
    """Sales over time: per day, week or month, against the period before or a year back."""
    form = ReportForm(request.GET or None)
    report = form.report_range()
    sales, source = read_reporting(lambda alias: sales_over_time(using=alias, report=report))
    comparison = comparison_rows(sales)
    return _report_page(
        request,
        "reports/sales.html",
        {
            "form": form,
            "report": report,
            "note": source.note,
            "sales": sales,
            "chart": _periods_chart(sales),
            "table": FigureTable(
                [period_column(report.group), *SALES_COLUMNS],
                sales.rows,
                label="Sales per period",
                empty_text="Nothing was sold in this range.",
            ),
            "comparison": ComparisonTable(
                comparison,
                now_label=f"{report.start:%b %-d, %Y} – {report.end:%b %-d, %Y}",
                then_label=(
                    f"{sales.compared.start:%b %-d, %Y} – {sales.compared.end:%b %-d, %Y}"
                    if sales.compared
                    else ""
                ),
            )
            if comparison
            else None,
            "export_source": "sales",
            "active": "sales",
        },
    )


@require_GET
@permission_required(VIEW_REPORTS, raise_exception=True)
def channel_report(request):
    """By channel: online, in store and back office apart, and together in the last row."""
    form = ReportForm(request.GET or None)
    report = form.report_range()
    rows, source = read_reporting(
        lambda alias: rows_of(sales_by_channel(using=alias, report=report))
    )
    found = {row["channel"]: row for row in rows}
    zero = figures_added([])
    rows = [found.get(value) or {"channel": value, **zero} for value in Channel.values]
    together = {"channel": "All channels", **figures_added(rows)}
    chart = _net_and_profit_bars([Channel(row["channel"]).label for row in rows], rows)
    return _report_page(
        request,
        "reports/channels.html",
        {
            "form": form,
            "report": report,
            "note": source.note,
            "chart": chart,
            "table": ChannelTable([*rows, together]),
            "export_source": "channels",
            "active": "channels",
        },
    )


def _net_and_profit_bars(labels: list[str], rows: list[dict]) -> dict:
    return {
        "type": "bar",
        "labels": labels,
        "datasets": [
            {"label": "Net sales", "data": [row["net"] for row in rows], "axis": "money"},
            {"label": "Gross profit", "data": [row["profit"] for row in rows], "axis": "money"},
        ],
    }


@require_GET
@permission_required(VIEW_REPORTS, raise_exception=True)
def product_report(request):
    """By product and variant: units, net sales, cost, profit and margin; sortable (every
    variant sold in the range is a row: sorting them in Python costs nothing next to the
    query)."""
    form = ReportForm(request.GET or None)
    report = form.report_range()
    rows, source = read_reporting(lambda alias: sales_by_product(using=alias, report=report))
    table = FigureTable(
        PRODUCT_COLUMNS,
        rows,
        label="Sales by product and variant",
        empty_text="Nothing was sold in this range.",
        sort=request.GET.get("sort", ""),
        query=request.GET,
    )
    top = table.rows[:15]
    chart = _net_and_profit_bars([row["sku"] or "Deleted item" for row in top], top)
    return _report_page(
        request,
        "reports/products.html",
        {
            "form": form,
            "report": report,
            "note": source.note,
            "chart": chart,
            "table": table,
            "export_source": "products",
            "active": "products",
        },
    )


def _stock_cursor(variant) -> str:
    return keyset.cursor_encode("stock", [variant.stock, variant.pk])


def _stock_decoded(cursor: str) -> list | None:
    fields = [Variant._meta.get_field(name) for name, _ in STOCK_KEYS]
    return keyset.cursor_decode(cursor, "stock", fields) if cursor else None


STOCK_KEYS = [("stock", False), ("id", False)]


@require_GET
@permission_required(VIEW_REPORTS, raise_exception=True)
def stock_report(request):
    """Stock: per variant kept in stock, on hand, sold, backordered and the cost value of
    what is on hand; lowest stock first, keyset paged."""
    window, source = read_reporting(
        lambda alias: keyset.window(
            stock_levels(using=alias),
            STOCK_KEYS,
            per_page=STOCK_PER_PAGE,
            after=_stock_decoded(request.GET.get("after", "")),
            before=_stock_decoded(request.GET.get("before", "")),
        )
    )
    page = StockPage(per_page=STOCK_PER_PAGE)
    if window.rows:
        page.next_cursor = _stock_cursor(window.rows[-1]) if window.has_next else None
        page.previous_cursor = _stock_cursor(window.rows[0]) if window.has_previous else None
    lowest = window.rows[:20]
    chart = {
        "type": "bar",
        "labels": [row.sku for row in lowest],
        "datasets": [
            {"label": "On hand", "data": [row.stock for row in lowest], "axis": "count"},
            {"label": "Backordered", "data": [row.backordered for row in lowest], "axis": "count"},
        ],
    }
    return render(
        request,
        "reports/stock.html",
        {
            "note": source.note,
            "chart": chart,
            "table": StockTable(window.rows),
            "page": page,
            "shown": len(window.rows),
            "export_source": "stock",
            "active": "stock",
        },
    )


@dataclass
class StockPage:
    per_page: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
