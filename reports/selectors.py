"""The reports' reads: sums of the daily totals (reports.totals keeps them), never of the
orders' lines, so any range costs a few thousand rows at most. Each read takes the database
alias to read from (core.replica.reporting_db()).

The figures (README "Reports: definitions"):
  net sales = gross sales − discounts − returns; total = net sales + shipping + tax;
  gross profit = net sales of the items whose cost is known − their cost;
  margin = gross profit ÷ net sales of the items whose cost is known.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import (
    DateField,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round

from catalog.models import ProductVendor, Variant

from .forms import ReportRange
from .models import DailyTotals, VariantSales

DECIMAL = DecimalField(max_digits=16, decimal_places=2)
LINE_SUMS = {
    "units": ("units_sold", IntegerField()),
    "units_back": ("units_returned", IntegerField()),
    "gross": ("gross_sales", DECIMAL),
    "discount": ("discounts", DECIMAL),
    "returned": ("returns", DECIMAL),
    "cost_total": ("cost", DECIMAL),
    "unknown_units": ("unknown_cost_units", IntegerField()),
    "unknown_sales": ("unknown_cost_sales", DECIMAL),
}
ORDER_SUMS = {
    "orders_paid": ("orders", IntegerField()),
    "orders_back": ("orders_returned", IntegerField()),
    "shipping_total": ("shipping", DECIMAL),
    "tax_total": ("tax", DECIMAL),
}
FIGURE_NAMES = [*LINE_SUMS, *ORDER_SUMS, "net", "total", "known_sales", "profit", "margin"]


def _sums(sums: dict) -> dict:
    return {
        name: Coalesce(Sum(column), Value(0), output_field=output)
        for name, (column, output) in sums.items()
    }


def _money(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DECIMAL)


def _derived(*, orders: bool) -> dict:
    net = F("gross") - F("discount") - F("returned")
    known = net - F("unknown_sales")
    derived = {
        "net": _money(net),
        "known_sales": _money(known),
        "profit": _money(known - F("cost_total")),
        "margin": Round(
            _money((known - F("cost_total")) * Value(Decimal(100)))
            / NullIf(_money(known), Value(Decimal(0))),
            1,
            output_field=DECIMAL,
        ),
    }
    if orders:
        derived["total"] = _money(net + F("shipping_total") + F("tax_total"))
    return derived


def _totals(using: str, report: ReportRange) -> QuerySet:
    rows = DailyTotals.objects.using(using).filter(day__range=(report.start, report.end))
    return rows.filter(channel=report.channel) if report.channel else rows


def _period(group: str) -> Cast:
    """The first day of the day's week (Monday) or month, as a date (date_trunc alone gives a
    timestamp)."""
    truncated = Func(Value(group), F("day"), function="date_trunc", output_field=DateTimeField())
    return Cast(truncated, DateField())


def sales_by_period(*, using: str, report: ReportRange) -> QuerySet:
    """One row per day, week (from Monday) or month of the range that had sales or returns,
    oldest first, with every figure."""
    return (
        _totals(using, report)
        .annotate(period=_period(report.group))
        .values("period")
        .annotate(**_sums(LINE_SUMS), **_sums(ORDER_SUMS))
        .annotate(**_derived(orders=True))
        .order_by("period")
    )


def figures_added(rows: list[dict]) -> dict:
    """Rows of figures added up, with the derived figures recomputed from the sums."""
    total = {name: sum((row[name] for row in rows), 0) for name in [*LINE_SUMS, *ORDER_SUMS]}
    return figures_complete(total)


def figures_complete(row: dict) -> dict:
    """A row's derived figures from its sums, in Python (for totals of several rows)."""
    row = dict(row)
    row["net"] = row["gross"] - row["discount"] - row["returned"]
    row["known_sales"] = row["net"] - row["unknown_sales"]
    row["profit"] = row["known_sales"] - row["cost_total"]
    row["margin"] = (
        (row["profit"] * 100 / row["known_sales"]).quantize(Decimal("0.1"))
        if row["known_sales"]
        else None
    )
    if "shipping_total" in row:
        row["total"] = row["net"] + row["shipping_total"] + row["tax_total"]
    return row


def periods(report: ReportRange) -> list[date]:
    """Every day, week (its Monday) or month (its 1st) the range touches, in order."""
    if report.group == "month":
        first, out = report.start.replace(day=1), []
        while first <= report.end:
            out.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return out
    step = 7 if report.group == "week" else 1
    first = report.start - timedelta(days=report.start.weekday()) if step == 7 else report.start
    return [first + timedelta(days=i) for i in range(0, (report.end - first).days + 1, step)]


def _zero() -> dict:
    return figures_complete(dict.fromkeys([*LINE_SUMS, *ORDER_SUMS], 0))


@dataclass
class SalesReport:
    report: ReportRange
    rows: list[dict]  # one per period of the range, zeros where nothing sold
    summary: dict
    compared: ReportRange | None = None
    compared_rows: list[dict] = field(default_factory=list)
    compared_summary: dict | None = None


def rows_of(queryset: QuerySet) -> list[dict]:
    """A values() queryset's rows as dicts, read straight from the cursor: for two years by
    day (730 rows × 21 columns) Django's per-value converters took 12 ms of 18 (psycopg gives
    Decimal, int and date already)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _filled(using: str, report: ReportRange) -> list[dict]:
    found = {row["period"]: row for row in rows_of(sales_by_period(using=using, report=report))}
    return [found.get(p) or {"period": p, **_zero()} for p in periods(report)]


def sales_over_time(*, using: str, report: ReportRange) -> SalesReport:
    """Sales over time: the range's periods and totals, and the comparison range's. Two
    queries (four with a comparison), each over the range's (day, channel) rows."""
    rows = _filled(using, report)
    sales = SalesReport(report=report, rows=rows, summary=figures_added(rows))
    compared = report.compared()
    if compared is not None:
        sales.compared = compared
        sales.compared_rows = _filled(using, compared)
        sales.compared_summary = figures_added(sales.compared_rows)
    return sales


def sales_by_channel(*, using: str, report: ReportRange) -> QuerySet:
    """The range's figures per channel (the channel filter does not apply: all three show)."""
    return (
        DailyTotals.objects.using(using)
        .filter(day__range=(report.start, report.end))
        .values("channel")
        .annotate(**_sums(LINE_SUMS), **_sums(ORDER_SUMS))
        .annotate(**_derived(orders=True))
        .order_by("channel")
    )


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _weeks_and_days(start: date, end: date) -> tuple[list[date], list[date]]:
    """[start, end] as whole weeks (their Mondays) and the days left at either side."""
    monday = start + timedelta(days=-start.weekday() % 7)
    weeks = []
    while monday + timedelta(days=6) <= end:
        weeks.append(monday)
        monday += timedelta(days=7)
    every_day = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if not weeks:
        return [], every_day
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    return weeks, [day for day in every_day if not first <= day <= last]


def range_pieces(start: date, end: date) -> dict[str, list[date]]:
    """[start, end] as whole months, whole weeks and single days, with no overlap: the fewest
    VariantSales rows that add up to the range (at most 12 days and 8 weeks at the edges)."""
    first_month = start if start.day == 1 else _month_after(start)
    months = []
    month = first_month
    while _month_after(month) - timedelta(days=1) <= end:
        months.append(month)
        month = _month_after(month)
    if not months:
        weeks, days = _weeks_and_days(start, end)
        return {"month": [], "week": weeks, "day": days}
    head_weeks, head_days = _weeks_and_days(start, first_month - timedelta(days=1))
    tail_weeks, tail_days = _weeks_and_days(month, end)
    return {"month": months, "week": head_weeks + tail_weeks, "day": head_days + tail_days}


def _product_rows(using: str, report: ReportRange) -> QuerySet:
    pieces = Q()
    for period, starts in range_pieces(report.start, report.end).items():
        if starts:
            pieces |= Q(period=period, start__in=starts)
    return VariantSales.objects.using(using).filter(pieces, channel=report.channel or "")


def _product_sums(rows: QuerySet, **names) -> QuerySet:
    return (
        rows.values("variant_id", "product_id", **names)
        .annotate(**_sums(LINE_SUMS))
        .annotate(**_derived(orders=False), net_units=F("units") - F("units_back"))
        .order_by("-net", "variant_id")
    )


def sales_by_product(*, using: str, report: ReportRange) -> list[dict]:
    """The range's figures per variant (line amounts: order discounts, shipping and tax are
    not split over items), with its SKU, product and the product's default (drop-ship)
    vendor; best sellers (net sales) first. Reads the range's whole months, weeks and days
    (range_pieces) of the channel asked, or of all (""). Two queries: the sums (about 14,000
    rows for two years at a million orders: 15 ms), then the names of what they found
    (joining them before summing doubles the time)."""
    rows = rows_of(_product_sums(_product_rows(using, report)))
    names = {
        variant["pk"]: variant
        for variant in Variant.objects.using(using)
        .filter(pk__in=[row["variant_id"] for row in rows if row["variant_id"]])
        .values("pk", "sku", product_name=F("product__name"))
    }
    vendors = dict(
        ProductVendor.objects.using(using)
        .filter(product_id__in={row["product_id"] for row in rows}, is_default=True)
        .values_list("product_id", "vendor__name")
    )
    for row in rows:
        found = names.get(row["variant_id"], {})
        row.update(
            sku=found.get("sku"),
            product_name=found.get("product_name"),
            vendor_name=vendors.get(row["product_id"]),
        )
    return rows


def sales_by_product_named(*, using: str, report: ReportRange) -> QuerySet:
    """sales_by_product as one query with the names joined (for the export's columns)."""
    rows = _product_rows(using, report).annotate(
        default_vendor=FilteredRelation(
            "product__vendor_links", condition=Q(product__vendor_links__is_default=True)
        )
    )
    return _product_sums(
        rows,
        sku=F("variant__sku"),
        product_name=F("product__name"),
        vendor_name=F("default_vendor__vendor__name"),
    )


def stock_levels(*, using: str) -> QuerySet:
    """Every variant whose stock is kept: on hand, units sold, backordered and the cost value
    of what is on hand (stock × the variant's cost), lowest stock first."""
    return (
        Variant.objects.using(using)
        .filter(track_stock=True)
        .annotate(
            product_name=F("product__name"),
            cost_value=_money(F("stock") * F("cost_price")),
        )
        .order_by("stock", "id")
    )


COMPARED_FIGURES = [
    ("orders_paid", "Orders", False),
    ("gross", "Gross sales", True),
    ("discount", "Discounts", True),
    ("returned", "Returns", True),
    ("net", "Net sales", True),
    ("shipping_total", "Shipping", True),
    ("tax_total", "Tax", True),
    ("total", "Total sales", True),
    ("cost_total", "Cost", True),
    ("profit", "Gross profit", True),
    ("unknown_sales", "Sales with unknown cost", True),
]


def comparison_rows(sales: SalesReport) -> list[dict]:
    """The range's totals beside the comparison range's, with the change in percent (None
    where the comparison is zero)."""
    if sales.compared_summary is None:
        return []
    rows = []
    for name, label, money in COMPARED_FIGURES:
        now, then = sales.summary[name], sales.compared_summary[name]
        change = (Decimal(now - then) * 100 / abs(then)).quantize(Decimal("0.1")) if then else None
        rows.append({"figure": label, "now": now, "then": then, "change": change, "money": money})
    return rows
