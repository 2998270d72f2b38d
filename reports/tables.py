"""The user's exports and the reports' figures as django-tables2 Tables."""

from collections.abc import Callable
from dataclasses import dataclass

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from core.formatting import money_formatter, money_label
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


class ChannelTable(SalesColumns):
    channel = tables.Column(verbose_name="Channel")

    class Meta(SalesColumns.Meta):
        sequence = ("channel", *SalesColumns.Meta.sequence[1:])

    def render_channel(self, value):
        return Channel(value).label if value in Channel.values else value


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


# ---- The long report tables, rendered in Python ---------------------------------------------


@dataclass(frozen=True)
class FigureColumn:
    key: str
    label: str
    cell: Callable[[dict, Callable], str]  # (row, money formatter) -> the cell's escaped HTML
    num: bool = True
    sortable: bool = False


def _money_cell(key: str) -> Callable[[dict, Callable], str]:
    return lambda row, money: money(row[key])


def _count_cell(key: str) -> Callable[[dict, Callable], str]:
    return lambda row, money: f"{row[key]:,}"


def _profit_cell(row: dict, money) -> str:
    return UNKNOWN if _no_known_cost(row) else money(row["profit"])


def _margin_cell(row: dict, money) -> str:
    return "—" if row["margin"] is None or _no_known_cost(row) else f"{row['margin']} %"


def _unknown_cell(row: dict, money) -> str:
    units = row["unknown_units"]
    if not units:
        return "—"
    plural = "" if units == 1 else "s"
    return f'<span class="unknown-cost">{money(row["unknown_sales"])} ({units} unit{plural})</span>'


def _item_cell(row: dict, money) -> str:
    if row["sku"] is None:
        return escape(f"Deleted item (variant {row['variant_id'] or 'unknown'})")
    return f'{escape(row["product_name"])} <span class="muted small">{escape(row["sku"])}</span>'


PROFIT_COLUMNS = [
    FigureColumn("cost_total", "Cost", _money_cell("cost_total"), sortable=True),
    FigureColumn("profit", "Gross profit", _profit_cell, sortable=True),
    FigureColumn("margin", "Margin", _margin_cell, sortable=True),
    FigureColumn("unknown_sales", "Sales with unknown cost", _unknown_cell, sortable=True),
]
SALES_COLUMNS = [
    FigureColumn("orders_paid", "Orders", _count_cell("orders_paid")),
    *(
        FigureColumn(key, label, _money_cell(key))
        for key, label in [
            ("gross", "Gross sales"),
            ("discount", "Discounts"),
            ("returned", "Returns"),
            ("net", "Net sales"),
            ("shipping_total", "Shipping"),
            ("tax_total", "Tax"),
            ("total", "Total sales"),
        ]
    ),
    *PROFIT_COLUMNS,
]
PRODUCT_COLUMNS = [
    FigureColumn("product_name", "Item", _item_cell, num=False, sortable=True),
    FigureColumn(
        "vendor_name",
        "Drop-ship vendor",
        lambda row, money: escape(row["vendor_name"] or "—"),
        num=False,
    ),
    FigureColumn("net_units", "Units sold (net)", _count_cell("net_units"), sortable=True),
    FigureColumn("net", "Net sales", _money_cell("net"), sortable=True),
    *PROFIT_COLUMNS,
]


def period_column(group: str) -> FigureColumn:
    pattern = PERIOD_FORMATS[group]
    return FigureColumn(
        "period", "Period", lambda row, money: row["period"].strftime(pattern), num=False
    )


class FigureTable:
    """A long report table (a period per row, an item per row), rendered here instead of by a
    django-tables2 Table (STYLE: "a hand-written table only where a measurement shows the
    Table misses its budget"). Measured at 1,000,000 orders: two years by day (730 rows × 13
    columns) took 530 ms as a Table and By product (430 rows) 280 ms, against a 50 ms budget;
    joined here they take a few ms. Same markup as tables/table.html (the wrapper scrolls,
    takes focus and is labelled); sortable columns link to ?sort=key / -key, None last."""

    def __init__(self, columns, rows, *, label: str, empty_text: str, sort: str = "", query=None):
        self.columns, self.label, self.empty_text = columns, label, empty_text
        self.sort = sort if sort.lstrip("-") in {c.key for c in columns if c.sortable} else ""
        self.query = query
        self.rows = self._sorted(list(rows)) if self.sort else list(rows)

    def _sorted(self, rows: list[dict]) -> list[dict]:
        key, descending = self.sort.lstrip("-"), self.sort.startswith("-")
        known = sorted(
            (row for row in rows if row[key] is not None),
            key=lambda row: row[key],
            reverse=descending,
        )
        return known + [row for row in rows if row[key] is None]

    def headers(self) -> list[dict]:
        out = []
        for column in self.columns:
            header = {"label": column.label, "num": column.num, "href": "", "sorted": ""}
            if column.sortable and self.query is not None:
                current = self.sort.lstrip("-") == column.key
                descending = self.sort.startswith("-")
                query = self.query.copy()
                query["sort"] = column.key if current and descending else f"-{column.key}"
                header["href"] = f"?{query.urlencode()}"
                if current:
                    header["sorted"] = "descending" if descending else "ascending"
            out.append(header)
        return out

    def body(self) -> str:
        cells = [
            (
                c.cell,
                ' class="num nowrap"'
                if c.num
                else (' class="nowrap"' if c.key == "period" else ""),
            )
            for c in self.columns
        ]
        money = money_formatter()
        return mark_safe(  # noqa: S308  (every cell escapes its text)
            "".join(
                "<tr>"
                + "".join(f"<td{attrs}>{cell(row, money)}</td>" for cell, attrs in cells)
                + "</tr>"
                for row in self.rows
            )
        )
