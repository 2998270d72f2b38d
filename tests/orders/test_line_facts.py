"""The lines' copies of their order's placed_at and of their product, which the transactions
grid filters and sorts on: every writer leaves them right (the intake and the seed write them,
a trigger fills them for anything else)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from devtools.seeding import seed
from orders.models import Channel, OrderLine
from tests.factories import OrderFactory, VariantFactory, api_key

pytestmark = pytest.mark.django_db


def test_a_line_written_without_its_copies_gets_them_from_the_database():
    """The trigger (migration 0006) fills what a writer left out: here, raw SQL."""
    order = OrderFactory(placed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    variant = VariantFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orders_orderline (order_id, variant_id, sku, name, options, unit_price,"
            " unit_cost, quantity, tax, discount, total, is_shippable, fulfilment_status,"
            " quantity_fulfilled) VALUES (%s, %s, 'S', 'N', '', 1, 0, 1, 0, 0, 1, true,"
            " 'unfulfilled', 0) RETURNING placed_at, product_id",
            [order.pk, variant.pk],
        )
        assert cursor.fetchone() == (order.placed_at, variant.product_id)


def test_a_line_without_a_variant_has_no_product():
    a_line = OrderLine.objects.create(
        order=OrderFactory(),
        sku="CUSTOM",
        name="Engraving",
        unit_price=Decimal("5.00"),
        quantity=1,
        total=Decimal("5.00"),
    )
    a_line.refresh_from_db()
    assert a_line.product_id is None and a_line.placed_at == a_line.order.placed_at


def test_intake_writes_the_copies_with_the_line(client):
    tee = VariantFactory(sku="TEE-1", price=Decimal("20.00"), stock=5)
    _, raw = api_key(Channel.ONLINE)
    body = {
        "placed_at": "2025-03-01T10:15:00+02:00",
        "currency": "USD",
        "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "L"},
        "billing_address": {"name": "Ada", "line1": "1 Main St", "city": "SF", "region": "CA",
                            "postal_code": "94105", "country": "US"},
        "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "SF", "region": "CA",
                             "postal_code": "94105", "country": "US"},
        "lines": [{"sku": "TEE-1", "quantity": 1, "unit_price": "20.00"}],
        "subtotal": "20.00",
        "total": "20.00",
    }  # fmt: skip
    response = client.post(
        "/api/v1/orders/", body, content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    a_line = OrderLine.objects.get(sku="TEE-1")
    assert a_line.product_id == tee.product_id
    assert a_line.placed_at == datetime(2025, 3, 1, 8, 15, tzinfo=UTC)


def test_the_seed_writes_the_copies_with_the_line():
    seed(orders=20, progress=False, random_seed=3)
    lines = OrderLine.objects.select_related("order", "variant")
    assert lines.exists()
    for a_line in lines:
        assert a_line.placed_at == a_line.order.placed_at
        assert a_line.product_id == a_line.variant.product_id
