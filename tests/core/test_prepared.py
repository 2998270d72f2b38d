"""Prepared statements: the ORM's, once a connection has run one DATABASE_PREPARE_THRESHOLD
times (server-side binding, backoffice.settings), and core.prepared's hot paths from their
first run."""

import pytest
from django.conf import settings
from django.db import connection

from core.prepared import prepared_cursor
from orders import risk
from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_through_the_prepared_cursor_is_prepared_once():
    sql = "SELECT %s::int + 1 AS prepared_probe"
    for value in (1, 2):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [value], prepare=True)
            assert cursor.fetchone() == (value + 1,)
    assert len([s for s in _prepared() if "prepared_probe" in s]) == 1
    # Django's own cursors keep the connection's threshold (DATABASE_PREPARE_THRESHOLD).
    assert (
        connection.connection.prepare_threshold
        == settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    )


def test_the_orm_s_statements_are_prepared_once_run_often_enough():
    threshold = connection.connection.prepare_threshold
    for _ in range(threshold + 1):
        list(Order.objects.filter(number=-41).values_list("id", flat=True))
    assert any('WHERE "orders_order"."number" = $1' in s for s in _prepared())


def test_the_fraud_check_is_a_prepared_statement():
    order = OrderFactory(customer_email="ada@example.com")

    risk.assess(order)

    assert any("FILTER (WHERE upper(customer_email::text)" in s for s in _prepared())


def test_custom_plans_prepare_nothing_inside_and_leave_the_threshold_as_it_was():
    from core.prepared import custom_plans

    threshold = connection.connection.prepare_threshold
    with custom_plans():
        for _ in range(threshold + 2):
            list(Order.objects.filter(number=-42).values_list("id", flat=True))
        assert not any('"number" = $1' in s and "-42" not in s for s in _prepared())
    assert connection.connection.prepare_threshold == threshold


@pytest.mark.parametrize(
    "url",
    [
        "/orders/?q=ada",
        "/orders/?risk=high",
        "/orders/items/?status=paid&sort=-total",
        "/invoices/?q=ada",
        "/purchase-orders/",
    ],
)
def test_lists_and_searches_are_planned_for_their_values(url, store_admin_client):
    """Run more often than the threshold, a list's statements are still not prepared (the
    order page's are: test_the_orm_s_statements_are_prepared_once_run_often_enough)."""
    for _ in range(connection.connection.prepare_threshold + 2):
        assert store_admin_client.get(url).status_code == 200
    table = {"orders": "orders_order", "invoices": "invoicing_invoice"}.get(
        url.strip("/").split("/")[0].split("?")[0], "purchasing_purchaseorder"
    )
    assert not [s for s in _prepared() if f'FROM "{table}"' in s]
