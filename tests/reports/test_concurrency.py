"""Concurrent payments and rollbacks on the same day and variant, with real threads against
Postgres: the database adds each one to the same rows, so the totals come out exact."""

from decimal import Decimal

import pytest

from reports.totals import daily_totals_rebuild
from tests.factories import VariantFactory
from tests.payments.test_concurrency import race

from .conftest import order_of, pay, roll_back, totals_by_day, totals_by_variant

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_payments_and_rollbacks_leave_the_totals_exact():
    shirt = VariantFactory(price=Decimal("19.99"), cost_price=Decimal("7.45"), stock=1000)
    mug = VariantFactory(price=Decimal("8.50"), cost_price=Decimal("0"), stock=1000)
    orders = [
        # Both variants on every order, in both orders of lines: the upserts lock the day's
        # rows in key order, so no two payments deadlock.
        order_of([(shirt, 2, "1.00"), (mug, 1, "0")] if i % 2 else [(mug, 1, "0"), (shirt, 2, "1.00")],
                 shipping="5.00", tax="1.10")
        for i in range(12)
    ]  # fmt: skip
    for order in orders[:4]:
        pay(order)

    results = race(
        [lambda o=o: pay(o) for o in orders[4:]] + [lambda o=o: roll_back(o) for o in orders[:4]]
    )

    assert not [r for r in results if isinstance(r, Exception)]
    (day,) = totals_by_day().values()
    assert (day["orders"], day["orders_returned"]) == (12, 4)
    assert (day["units_sold"], day["units_returned"]) == (36, 12)
    assert day["gross_sales"] == 12 * (2 * Decimal("19.99") + Decimal("8.50"))
    assert day["returns"] == 4 * (2 * Decimal("19.99") - 1 + Decimal("8.50"))
    assert day["cost"] == 8 * 2 * Decimal("7.45")
    assert (day["unknown_cost_units"], day["unknown_cost_sales"]) == (8, 8 * Decimal("8.50"))
    assert (day["shipping"], day["tax"]) == (8 * 5, 8 * Decimal("1.10"))
    kept = (totals_by_day(), totals_by_variant())
    daily_totals_rebuild()
    assert (totals_by_day(), totals_by_variant()) == kept
