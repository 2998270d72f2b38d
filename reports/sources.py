"""The lists that can be exported, with the columns each shows."""

from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, TextField, Value, When
from django.db.models.functions import Cast, Concat

from invoicing.models import Invoice
from orders.grid.selectors import lines_matching
from orders.models import Channel, OrderLine, OrderStatus, PaymentState, RiskLevel
from orders.selectors import orders_matching

from .exports import DATETIME, MONEY, NUMBER, Column, Source, ZeroPadded, label_of, register
from .forms import ReportForm, ReportRange
from .selectors import sales_by_channel, sales_by_period, sales_by_product_named, stock_levels

ORDERS = register(
    Source(
        key="orders",
        title="Orders",
        permission="orders.view_order",
        rows=orders_matching,
        list_url_name="orders:list",
        columns=[
            Column("Order", "number", NUMBER),
            Column("Placed", "placed_at", DATETIME),
            Column("Channel", label_of("channel", Channel.choices)),
            Column("Customer", "customer_name"),
            Column("Email", "customer_email"),
            Column("Items", "item_count", NUMBER),
            Column("Total", "total", MONEY),
            Column("Currency", "currency"),
            Column("Status", label_of("status", OrderStatus.choices)),
            Column("Risk", label_of("risk_level", RiskLevel.choices)),
        ],
    )
)


# The order's invoice as the grid shows it (the newest one not void), by the invoices' order
# index: one probe per line.
_INVOICE_NUMBER = Subquery(
    Invoice.objects.filter(order_id=OuterRef("order_id"), kind=Invoice.Kind.INVOICE)
    .exclude(status=Invoice.Status.VOID)
    .order_by("-issued_at", "-id")
    .annotate(
        label=Concat(
            Value(f"{Invoice.PREFIXES[Invoice.Kind.INVOICE]}-"),
            ZeroPadded("number"),
            output_field=TextField(),
        )
    )
    .values("label")[:1]
)

TRANSACTIONS = register(
    Source(
        key="transactions",
        title="Transactions",
        permission="orders.view_order",
        rows=lines_matching,
        list_url_name="orders:grid",
        columns=[
            Column("Date", "placed_at", DATETIME),
            Column("Invoice", _INVOICE_NUMBER),
            Column("Order", "order__number", NUMBER),
            Column("Buyer", "order__customer_name"),
            Column("Email", "order__customer_email"),
            Column("Item", "name"),
            Column("Options", "options"),
            Column("SKU", "sku"),
            Column("Quantity", "quantity", NUMBER),
            Column("Amount", "total", MONEY),
            Column("Currency", "order__currency"),
            Column("Payment", label_of("order__payment_state", PaymentState.choices)),
            Column("Sent", label_of("fulfilment_status", OrderLine.Fulfilment.choices)),
            Column("Status", label_of("order__status", OrderStatus.choices)),
        ],
    )
)


# ---- The reports (issue 14): the rows each page's table shows -------------------------------

REPORTS = "reports.view_reports"


def _report(filters) -> ReportRange:
    return ReportForm(filters).report_range()


def _profit_or_unknown() -> Case:
    """Gross profit, left empty (not 0.00) where nothing sold had a cost recorded."""
    return Case(
        When(~Q(unknown_units=0) & Q(known_sales=0, cost_total=0), then=Value(None)),
        default=F("profit"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def _figure_columns(*, orders: bool) -> list[Column]:
    money = [
        Column("Gross sales", "gross", MONEY),
        Column("Discounts", "discount", MONEY),
        Column("Returns", "returned", MONEY),
        Column("Net sales", "net", MONEY),
    ]
    if orders:
        money += [
            Column("Shipping", "shipping_total", MONEY),
            Column("Tax", "tax_total", MONEY),
            Column("Total sales", "total", MONEY),
        ]
    return [
        *([Column("Orders", "orders_paid", NUMBER)] if orders else []),
        Column("Units sold", "units", NUMBER),
        Column("Units returned", "units_back", NUMBER),
        *money,
        Column("Cost", "cost_total", MONEY),
        Column("Gross profit", _profit_or_unknown(), MONEY),
        Column("Margin (%)", "margin", MONEY),
        Column("Units with unknown cost", "unknown_units", NUMBER),
        Column("Sales with unknown cost", "unknown_sales", MONEY),
    ]


register(
    Source(
        key="sales",
        title="Sales over time",
        permission=REPORTS,
        rows=lambda *, user, filters: sales_by_period(using="default", report=_report(filters)),
        list_url_name="reports:sales",
        columns=[
            Column("Period", Cast("period", TextField())),
            *_figure_columns(orders=True),
        ],
    )
)
register(
    Source(
        key="channels",
        title="Sales by channel",
        permission=REPORTS,
        rows=lambda *, user, filters: sales_by_channel(using="default", report=_report(filters)),
        list_url_name="reports:channels",
        columns=[
            Column("Channel", label_of("channel", Channel.choices)),
            *_figure_columns(orders=True),
        ],
    )
)
register(
    Source(
        key="products",
        title="Sales by product",
        permission=REPORTS,
        rows=lambda *, user, filters: sales_by_product_named(
            using="default", report=_report(filters)
        ),
        list_url_name="reports:products",
        columns=[
            Column("Item", "product_name"),
            Column("SKU", "sku"),
            Column("Drop-ship vendor", "vendor_name"),
            Column("Units sold (net)", "net_units", NUMBER),
            *_figure_columns(orders=False),
        ],
    )
)
register(
    Source(
        key="stock",
        title="Stock",
        permission=REPORTS,
        rows=lambda *, user, filters: stock_levels(using="default"),
        list_url_name="reports:stock",
        columns=[
            Column("Item", "product_name"),
            Column("SKU", "sku"),
            Column("On hand", "stock", NUMBER),
            Column("Units sold (all time)", "units_sold", NUMBER),
            Column("Backordered", "backordered", NUMBER),
            Column("Unit cost", "cost_price", MONEY),
            Column(
                "Cost value on hand",
                Case(
                    When(Q(cost_price=0) & ~Q(stock=0), then=Value(None)),
                    default=F("cost_value"),
                    output_field=DecimalField(max_digits=16, decimal_places=2),
                ),
                MONEY,
            ),
        ],
    )
)
