"""core.prepared: statements on the hot paths are really prepared server-side (Django leaves
psycopg's preparing off, under which `prepare=True` alone does nothing)."""

import pytest
from django.db import connection

from core.prepared import prepared_cursor
from orders import risk
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
    # Django's own cursors are left as they were: not prepared.
    assert connection.connection.prepare_threshold is None


def test_the_fraud_check_is_a_prepared_statement():
    order = OrderFactory(customer_email="ada@example.com")

    risk.assess(order)

    assert any("FILTER (WHERE upper(customer_email::text)" in s for s in _prepared())
