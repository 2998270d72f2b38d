"""Helpers for invoicing tests: paying an order the way the back office does (payments is
a sibling of invoicing, so only tests reach across)."""

from decimal import Decimal

import pytest
from django.db import connection

from customers.models import CustomerSettings
from invoicing.models import Invoice
from orders.actors import Actor
from orders.models import OrderStatus
from orders.services import order_transition
from payments.services import PaymentInfo, order_mark_paid
from tests.factories import OrderFactory, OrderLineFactory, ProfileFactory


def pay(order, *, reference: str = "CHK-1", authorization_code: str = "AUTH-77"):
    return order_mark_paid(
        order_id=order.pk,
        payment=PaymentInfo(
            method="check",
            amount=order.total,
            reference=reference,
            authorization_code=authorization_code,
        ),
        actor=Actor.system(),
    )


def roll_back(order, to: str = OrderStatus.PENDING, actor=None):
    return order_transition(order_id=order.pk, to=to, actor=actor or Actor.system())


def order_of(*, lines: int = 2, **fields):
    order = OrderFactory(**fields)
    for i in range(lines):
        OrderLineFactory(order=order, quantity=i + 1, discount=Decimal("1.00"), tax=Decimal("0.80"))
    order.shipping_total = Decimal("5.00")
    order.tax_total = Decimal("0.80") * lines
    order.total = order.subtotal + order.shipping_total + order.tax_total
    order.save(update_fields=["shipping_total", "tax_total", "total"])
    return order


def paid_invoice(**order_fields) -> Invoice:
    order = order_of(**order_fields)
    pay(order)
    return Invoice.objects.get(order=order)


def raw_rows(sql: str, params) -> list:
    """Rows exactly as Postgres holds them (as JSON text), to compare byte for byte."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def invoice_snapshot(invoice: Invoice) -> tuple[list, list]:
    return (
        raw_rows(
            "SELECT row_to_json(i)::text FROM invoicing_invoice i WHERE id = %s", [invoice.pk]
        ),
        raw_rows(
            "SELECT row_to_json(l)::text FROM invoicing_invoiceline l "
            "WHERE invoice_id = %s ORDER BY id",
            [invoice.pk],
        ),
    )


@pytest.fixture
def anonymous_profile(db):
    profile = ProfileFactory(first_name="Walk-in", last_name="Customers", email="")
    settings_row = CustomerSettings.load()
    settings_row.anonymous_profile = profile
    settings_row.save()
    return profile


@pytest.fixture
def member(db):
    return ProfileFactory(first_name="Ada", last_name="Lovelace", member_ref="member-1")
