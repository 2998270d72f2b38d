"""The intake API under concurrent requests, with real threads against Postgres."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from catalog.models import StockMovement
from orders.models import Channel, IntakeRequest, Order, OrderStatus
from tests.factories import ProductFactory, VariantFactory, api_key
from tests.orders.test_api import URL, order_body

pytestmark = pytest.mark.django_db(transaction=True)


def _post_together(requests: list[tuple[str, dict, str | None]]) -> list:
    """POST every (raw key, body, idempotency key) from its own thread, released at once."""
    barrier = threading.Barrier(len(requests))

    def send(raw: str, body: dict, key: str | None):
        headers = {"Authorization": f"Bearer {raw}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        client = Client()
        try:
            barrier.wait(timeout=10)
            return client.post(URL, body, content_type="application/json", headers=headers)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(send, *request) for request in requests]
        return [future.result(timeout=30) for future in futures]


@pytest.fixture
def tee():
    return VariantFactory(
        sku="TEE-M-RED",
        product=ProductFactory(name="Tee", is_shippable=True),
        price=Decimal("20.00"),
        stock=10,
    )


def test_concurrent_retries_with_the_same_key_make_one_order(tee):
    _, raw = api_key(Channel.ONLINE)
    body = order_body()

    responses = _post_together([(raw, body, "web-1001")] * 6)

    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["number"] for r in responses}) == 1
    assert all(
        r.headers.get("Idempotent-Replayed") == "true" for r in responses if r.status_code == 200
    )
    assert Order.objects.count() == 1
    assert IntakeRequest.objects.get().order == Order.objects.get()


def test_concurrent_captured_retries_book_the_sale_once(tee):
    _, raw = api_key(Channel.ONLINE)
    body = order_body(payment={"status": "captured", "authorization_code": "A1"})

    responses = _post_together([(raw, body, "paid-1")] * 4)

    assert len({r.json()["number"] for r in responses}) == 1
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (8, 2)
    assert StockMovement.objects.count() == 1


def test_concurrent_captured_orders_never_sell_more_than_the_stock(tee):
    tee.stock = 3
    tee.save()
    _, raw = api_key(Channel.ONLINE)
    body = order_body(
        lines=[{"sku": "TEE-M-RED", "quantity": 1, "unit_price": "20.00"}],
        subtotal="20.00",
        tax="0",
        total="25.00",
        payment={"status": "captured"},
    )

    responses = _post_together([(raw, body, f"order-{i}") for i in range(6)])

    assert sorted(r.status_code for r in responses) == [201] * 3 + [422] * 3
    for refused in (r for r in responses if r.status_code == 422):
        [error] = refused.json()["detail"]
        assert error["loc"] == ["body", "payload", "lines", 0, "quantity"]
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (0, 3)
    assert Order.objects.count() == 3
    assert IntakeRequest.objects.count() == 3
