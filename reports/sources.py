"""The lists that can be exported, with the columns each shows."""

from orders.models import Channel, OrderStatus, RiskLevel
from orders.selectors import orders_matching

from .exports import DATETIME, MONEY, NUMBER, Column, Source, label_of, register

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
