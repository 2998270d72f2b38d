"""The lists that can be exported, with the columns each shows."""

from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.functions import Concat

from invoicing.models import Invoice
from orders.grid.selectors import lines_matching
from orders.models import Channel, OrderLine, OrderStatus, PaymentState, RiskLevel
from orders.selectors import orders_matching

from .exports import DATETIME, MONEY, NUMBER, Column, Source, ZeroPadded, label_of, register

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
