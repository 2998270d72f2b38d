"""The user's exports and the reports' figures as django-tables2 Tables."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.formatting import money_label
from orders.models import Channel


class ExportTable(tables.Table):
    filename = tables.Column(verbose_name="File")
    created_at = tables.Column(verbose_name="Started", attrs={"td": {"class": "nowrap"}})
    rows_total = tables.Column(
        verbose_name="Rows", default="—", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    status = tables.Column(verbose_name="Status")

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid", "th": {"scope": "col"}}
        empty_text = "No exports yet. Use Export on the orders list to download what it shows."

    def render_filename(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("reports:export_detail", args=[record.pk]),
            record.filename,
        )

    def render_created_at(self, value):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"

    def render_status(self, record):
        if record.status == "done":
            return format_html(
                '<a href="{}">Download</a>', reverse("reports:export_download", args=[record.pk])
            )
        return record.get_status_display()


# ---- Reports --------------------------------------------------------------------------------

NUM = {"th": {"class": "num", "scope": "col"}, "td": {"class": "num nowrap"}}
UNKNOWN = "unknown"


class Money(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return money_label(value)


class Count(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{value:,}"


def _no_known_cost(record) -> bool:
    """Everything sold here has no cost recorded: there is no profit to show, not zero."""
    return record["unknown_units"] != 0 and not record["known_sales"] and not record["cost_total"]


class ProfitColumns(tables.Table):
    """Cost, gross profit, margin and the sales left out of them (no cost recorded)."""

    region_label = "Figures"

    cost_total = Money(verbose_name="Cost")
    profit = Money(verbose_name="Gross profit", empty_values=())
    margin = tables.Column(verbose_name="Margin", attrs=NUM, empty_values=())
    unknown_sales = Money(verbose_name="Sales with unknown cost", empty_values=())

    def render_profit(self, value, record):
        return UNKNOWN if _no_known_cost(record) else money_label(value)

    def render_margin(self, value, record):
        if value is None or _no_known_cost(record):
            return "—"
        return f"{value} %"

    def render_unknown_sales(self, value, record):
        if not record["unknown_units"]:
            return "—"
        units = record["unknown_units"]
        return format_html(
            '<span class="unknown-cost">{} ({} unit{})</span>',
            money_label(value),
            units,
            "" if units == 1 else "s",
        )


class SalesColumns(ProfitColumns):
    region_label = "Sales figures"

    orders_paid = Count(verbose_name="Orders")
    gross = Money(verbose_name="Gross sales")
    discount = Money(verbose_name="Discounts")
    returned = Money(verbose_name="Returns")
    net = Money(verbose_name="Net sales")
    shipping_total = Money(verbose_name="Shipping")
    tax_total = Money(verbose_name="Tax")
    total = Money(verbose_name="Total sales")

    class Meta:
        orderable = False
        template_name = "reports/_table.html"
        attrs = {"class": "grid report-grid"}
        sequence = (
            "...",
            "orders_paid",
            "gross",
            "discount",
            "returned",
            "net",
            "shipping_total",
            "tax_total",
            "total",
            "cost_total",
            "profit",
            "margin",
            "unknown_sales",
        )


PERIOD_FORMATS = {"day": "%a %b %-d, %Y", "week": "Week of %b %-d, %Y", "month": "%B %Y"}


class SalesOverTimeTable(SalesColumns):
    period = tables.Column(verbose_name="Period", attrs={"th": {"scope": "row"}})

    class Meta(SalesColumns.Meta):
        sequence = ("period", *SalesColumns.Meta.sequence[1:])

    def __init__(self, *args, group: str = "day", **kwargs):
        self.group = group
        super().__init__(*args, **kwargs)

    def render_period(self, value):
        return value.strftime(PERIOD_FORMATS[self.group])


class ChannelTable(SalesColumns):
    channel = tables.Column(verbose_name="Channel")

    class Meta(SalesColumns.Meta):
        sequence = ("channel", *SalesColumns.Meta.sequence[1:])

    def render_channel(self, value):
        return Channel(value).label if value in Channel.values else value


class ProductTable(ProfitColumns):
    region_label = "Sales by product and variant"

    product_name = tables.Column(verbose_name="Item", order_by=("product_name", "sku"))
    vendor_name = tables.Column(verbose_name="Drop-ship vendor", default="—")
    net_units = Count(verbose_name="Units sold (net)")
    net = Money(verbose_name="Net sales")

    class Meta:
        template_name = "reports/_table.html"
        attrs = {"class": "grid report-grid"}
        order_by_field = "sort"
        sequence = (
            "product_name",
            "vendor_name",
            "net_units",
            "net",
            "cost_total",
            "profit",
            "margin",
            "unknown_sales",
        )
        empty_text = "Nothing was sold in this range."

    def render_product_name(self, value, record):
        if record["sku"] is None:
            return f"Deleted item (variant {record['variant_id'] or 'unknown'})"
        return format_html('{} <span class="muted small">{}</span>', value, record["sku"])


class StockTable(tables.Table):
    region_label = "Stock per variant"

    product_name = tables.Column(verbose_name="Item")
    stock = Count(verbose_name="On hand")
    units_sold = Count(verbose_name="Units sold (all time)")
    backordered = Count(verbose_name="Backordered")
    cost_value = Money(verbose_name="Cost value on hand", empty_values=())

    class Meta:
        orderable = False
        template_name = "reports/_table.html"
        attrs = {"class": "grid report-grid"}
        empty_text = "No variant keeps stock."
        row_attrs = {"class": lambda record: "row-warn" if record.stock <= 5 else ""}

    def render_product_name(self, value, record):
        options = record.options_label
        return format_html(
            '{}{} <span class="muted small">{}</span>',
            value,
            f" ({options})" if options else "",
            record.sku,
        )

    def render_cost_value(self, value, record):
        if record.cost_price == 0 and record.stock:
            return UNKNOWN
        return money_label(value)


class ComparisonTable(tables.Table):
    region_label = "This range against the comparison range"

    figure = tables.Column(verbose_name="Figure", attrs={"th": {"scope": "row"}})
    now = tables.Column(verbose_name="This range", attrs=NUM)
    then = tables.Column(verbose_name="Compared with", attrs=NUM)
    change = tables.Column(verbose_name="Change", attrs=NUM, empty_values=())

    class Meta:
        orderable = False
        template_name = "reports/_table.html"
        attrs = {"class": "grid report-grid comparison-grid"}

    def __init__(self, *args, now_label: str = "", then_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.columns["now"].column.verbose_name = now_label or "This range"
        self.columns["then"].column.verbose_name = then_label or "Compared with"

    def render_now(self, value, record):
        return money_label(value) if record["money"] else f"{value:,}"

    def render_then(self, value, record):
        return money_label(value) if record["money"] else f"{value:,}"

    def render_change(self, value):
        if value is None:
            return "—"
        return f"+{value} %" if value > 0 else f"{value} %".replace("-", "−")
