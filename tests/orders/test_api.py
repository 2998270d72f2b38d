"""The intake API at /api/v1/orders/: authentication, the store's rules, idempotency, reads."""

import copy
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import CatalogSettings, StockMovement, Variant
from customers.models import Profile
from orders import intake
from orders.models import Channel, IntakeRequest, Order, OrderEvent, OrderLine, OrderStatus
from orders.signals import order_placed
from tests.factories import OrderFactory, ProductFactory, VariantFactory, api_key

URL = "/api/v1/orders/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def online_key():
    return api_key(Channel.ONLINE, name="Storefront")


@pytest.fixture
def in_store_key():
    return api_key(Channel.IN_STORE, name="Register 1")


@pytest.fixture
def tee():
    return VariantFactory(
        sku="TEE-M-RED",
        product=ProductFactory(name="Tee", is_shippable=True),
        options={"size": "M", "colour": "red"},
        price=Decimal("20.00"),
        cost_price=Decimal("8.00"),
        stock=10,
    )


@pytest.fixture
def ebook():
    return VariantFactory(
        sku="EBOOK-1",
        product=ProductFactory(name="Field Guide (PDF)", is_shippable=False),
        price=Decimal("9.00"),
        cost_price=Decimal("0.00"),
        stock=100,
    )


ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "1 Market St",
    "line2": "Suite 2",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "phone": "+1 555 0100",
}


def order_body(**overrides) -> dict:
    """A valid order: 2 × TEE-M-RED at 20.00, shipping 5.00, tax 3.20."""
    body = {
        "external_ref": "WEB-1001",
        "placed_at": "2025-03-01T10:15:00+02:00",
        "currency": "USD",
        "customer": {
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+1 555 0100",
            "member_ref": None,
        },
        "billing_address": dict(ADDRESS),
        "shipping_address": dict(ADDRESS),
        "lines": [
            {"sku": "TEE-M-RED", "quantity": 2, "unit_price": "20.00", "tax": "1.60"},
        ],
        "subtotal": "40.00",
        "discount": "0.00",
        "shipping": "5.00",
        "tax": "3.20",
        "total": "48.20",
        "client_ip": "203.0.113.9",
        "payment": {"status": "pending", "token": "tok_123"},
    }
    body.update(overrides)
    return body


def post(client, raw, body, *, key=None, **headers):
    if raw is not None:
        headers["Authorization"] = f"Bearer {raw}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, body, content_type="application/json", headers=headers)


def counts() -> dict:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "events": OrderEvent.objects.count(),
        "intake_requests": IntakeRequest.objects.count(),
        "profiles": Profile.objects.count(),
        "stock_movements": StockMovement.objects.count(),
    }


def locs(response) -> list[list]:
    return [error["loc"] for error in response.json()["detail"]]


# --- Happy paths -------------------------------------------------------------------------------


def test_online_order_is_created_with_snapshots_of_its_lines(client, online_key, tee):
    _, raw = online_key

    response = post(client, raw, order_body(), key="web-1001")

    assert response.status_code == 201
    data = response.json()
    order = Order.objects.get()
    assert data == {
        "number": order.number,
        "status": "pending",
        "channel": "online",
        "currency": "USD",
        "total": "48.20",
        "placed_at": "2025-03-01T08:15:00Z",
    }
    assert order.number >= 100001
    assert order.channel == Channel.ONLINE
    assert order.status == OrderStatus.PENDING
    assert order.profile is None
    assert order.customer_email == "ada@example.com"
    assert order.customer_name == "Ada Lovelace"
    assert order.customer_phone == "+1 555 0100"
    assert order.billing_address == ADDRESS
    assert order.shipping_address == ADDRESS
    assert order.client_ip == "203.0.113.9"
    assert order.external_ref == "WEB-1001"
    assert order.payment_token == "tok_123"
    assert order.authorization_code == ""
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        Decimal("40.00"),
        Decimal("5.00"),
        Decimal("3.20"),
        Decimal("48.20"),
    )
    line = order.lines.get()
    assert line.variant == tee
    assert line.sku == "TEE-M-RED"
    assert line.name == "Tee"
    assert line.label == "Tee (colour: red, size: M)"
    assert line.options == "colour: red, size: M"
    assert line.unit_price == Decimal("20.00")
    assert line.unit_cost == Decimal("8.00")
    assert line.quantity == 2
    assert line.tax == Decimal("1.60")
    assert line.total == Decimal("40.00")
    assert line.is_shippable
    assert line.fulfilment_status == OrderLine.Fulfilment.UNFULFILLED
    event = order.events.get()
    assert event.kind == OrderEvent.Kind.PLACED
    assert event.who == "API: Storefront"
    assert IntakeRequest.objects.get().order == order
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (10, 0)


def test_in_store_order_takes_its_channel_from_the_key(client, in_store_key, tee):
    _, raw = in_store_key

    response = post(client, raw, order_body())

    assert response.status_code == 201
    assert response.json()["channel"] == "in_store"
    order = Order.objects.get()
    assert order.channel == Channel.IN_STORE
    assert order.events.get().who == "API: Register 1"


def test_order_without_idempotency_key_is_created(client, online_key, tee):
    _, raw = online_key

    assert post(client, raw, order_body()).status_code == 201
    assert post(client, raw, order_body()).status_code == 201

    assert Order.objects.count() == 2
    assert IntakeRequest.objects.count() == 0


def test_member_order_is_filed_on_the_member_profile(client, online_key, tee):
    _, raw = online_key
    customer = {**order_body()["customer"], "member_ref": "acct-42"}

    first = post(client, raw, order_body(customer=customer))
    customer["phone"] = "+1 555 0199"
    second = post(client, raw, order_body(customer=customer))

    assert (first.status_code, second.status_code) == (201, 201)
    profile = Profile.objects.get()
    assert profile.member_ref == "acct-42"
    assert (profile.first_name, profile.last_name, profile.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert profile.phone == "+1 555 0199"
    assert set(Order.objects.values_list("profile", flat=True)) == {profile.pk}


def test_guest_order_has_no_profile(client, online_key, tee):
    _, raw = online_key

    post(client, raw, order_body())

    assert Order.objects.get().profile is None
    assert Profile.objects.count() == 0


def test_digital_only_order_needs_no_shipping_address(client, online_key, ebook):
    _, raw = online_key
    body = order_body(
        shipping_address=None,
        lines=[{"sku": "EBOOK-1", "quantity": 1, "unit_price": "9.00"}],
        subtotal="9.00",
        shipping="0",
        tax="0",
        total="9.00",
    )

    response = post(client, raw, body)

    assert response.status_code == 201
    order = Order.objects.get()
    assert order.shipping_address == {}
    line = order.lines.get()
    assert not line.is_shippable
    assert line.fulfilment_status == OrderLine.Fulfilment.NOT_REQUIRED


def test_amounts_may_be_json_numbers_and_lines_discounted(client, online_key, tee, ebook):
    _, raw = online_key
    body = order_body(
        lines=[
            {"sku": "TEE-M-RED", "quantity": 3, "unit_price": 19.99, "discount": 5},
            {"sku": "EBOOK-1", "quantity": 1, "unit_price": 9},
        ],
        subtotal=63.97,
        discount=3.97,
        shipping=0,
        tax=0,
        total=60,
    )

    response = post(client, raw, body)

    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "60.00"
    order = Order.objects.get()
    assert order.discount_total == Decimal("3.97")
    assert [line.total for line in order.lines.all()] == [Decimal("54.97"), Decimal("9.00")]


def test_placed_at_defaults_to_now(client, online_key, tee):
    _, raw = online_key
    body = order_body()
    del body["placed_at"]
    before = timezone.now()

    assert post(client, raw, body).status_code == 201

    assert before <= Order.objects.get().placed_at <= timezone.now()


def test_order_placed_signal_is_sent_with_the_api_actor(client, online_key, tee):
    _, raw = online_key
    received = []

    def receiver(sender, order, actor, **kwargs):
        received.append((order.number, actor.label))

    order_placed.connect(receiver)
    try:
        response = post(client, raw, order_body())
    finally:
        order_placed.disconnect(receiver)

    assert received == [(response.json()["number"], "API: Storefront")]


def test_create_runs_the_same_number_of_queries_whatever_the_number_of_lines(
    client, online_key, tee, ebook
):
    _, raw = online_key
    one_line = order_body()
    many = [VariantFactory(sku=f"MANY-{i}") for i in range(8)]
    many_lines = order_body(
        lines=[{"sku": v.sku, "quantity": 1, "unit_price": "20.00"} for v in many],
        subtotal="160.00",
        tax="0",
        shipping="0",
        total="160.00",
    )
    post(client, raw, order_body(), key="warm-up")

    with CaptureQueriesContext(connection) as few:
        assert post(client, raw, one_line, key="one").status_code == 201
    with CaptureQueriesContext(connection) as lots:
        assert post(client, raw, many_lines, key="many").status_code == 201

    assert len(lots) == len(few)
    # The key, a savepoint (a transaction outside tests), the claim (which reserves the
    # order's id), the variants, the order, its lines, the "placed" event, the automatic
    # charging setting (this body carries a card token) and the release. The fraud check's
    # prepared statement runs on the raw connection and is not captured here.
    assert len(few) == 9, [q["sql"][:60] for q in few]


# --- Captured payments ------------------------------------------------------------------------


def test_captured_payment_marks_the_order_paid_and_decreases_stock(client, online_key, tee):
    _, raw = online_key
    body = order_body(payment={"status": "captured", "token": "tok_1", "authorization_code": "A1"})

    response = post(client, raw, body)

    assert response.status_code == 201
    assert response.json()["status"] == "paid"
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert order.authorization_code == "A1"
    assert order.stock_committed
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (8, 2)
    movement = StockMovement.objects.get()
    assert (movement.delta, movement.reference) == (-2, order.reference)
    kinds = list(order.events.order_by("id").values_list("kind", flat=True))
    assert kinds[0] == OrderEvent.Kind.PLACED
    assert sorted(kinds[1:]) == sorted(
        [OrderEvent.Kind.STATUS, OrderEvent.Kind.STOCK, OrderEvent.Kind.INVOICE]
    )
    status_event = order.events.get(kind=OrderEvent.Kind.STATUS)
    assert status_event.message == "Payment captured by the storefront"
    assert status_event.who == "API: Storefront"


def test_captured_payment_with_too_little_stock_is_refused_and_changes_nothing(
    client, online_key, tee
):
    _, raw = online_key
    Variant.objects.filter(pk=tee.pk).update(stock=1)
    body = order_body(payment={"status": "captured"})
    before = counts()

    response = post(client, raw, body, key="short")

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "lines", 0, "quantity"]
    assert error["type"] == "insufficient_stock"
    assert "1 on hand" in error["msg"]
    assert counts() == before
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (1, 0)


def test_captured_payment_short_of_stock_goes_on_backorder_when_the_store_allows_it(
    client, online_key, tee
):
    _, raw = online_key
    CatalogSettings.objects.update_or_create(pk=1, defaults={"allow_backorders": True})
    Variant.objects.filter(pk=tee.pk).update(stock=1)

    response = post(client, raw, order_body(payment={"status": "captured"}), key="backorder")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "paid"
    tee.refresh_from_db()
    assert (tee.stock, tee.backordered, tee.units_sold) == (0, 1, 2)


def test_stock_gone_between_the_check_and_the_booking_is_refused_on_the_line(
    client, online_key, tee, monkeypatch
):
    """Another order took the stock after this one was validated: the booking refuses it."""
    _, raw = online_key
    Variant.objects.filter(pk=tee.pk).update(stock=1)
    monkeypatch.setattr(intake, "_check_stock", lambda *args: None)
    before = counts()

    response = post(client, raw, order_body(payment={"status": "captured"}), key="race")

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "lines", 0, "quantity"]
    assert "1 on hand" in error["msg"]
    assert counts() == before
    assert Variant.objects.get(pk=tee.pk).stock == 1


def test_stock_of_repeated_sku_is_checked_on_the_sum_of_its_lines(client, online_key, tee):
    _, raw = online_key
    Variant.objects.filter(pk=tee.pk).update(stock=3)
    line = {"sku": "TEE-M-RED", "quantity": 2, "unit_price": "20.00"}
    body = order_body(
        lines=[line, line],
        subtotal="80.00",
        tax="0",
        total="85.00",
        payment={"status": "captured"},
    )

    response = post(client, raw, body)

    assert response.status_code == 422
    assert locs(response) == [
        ["body", "payload", "lines", 0, "quantity"],
        ["body", "payload", "lines", 1, "quantity"],
    ]


def test_pending_payment_leaves_stock_alone_even_when_short(client, online_key, tee):
    _, raw = online_key
    Variant.objects.filter(pk=tee.pk).update(stock=0)

    response = post(client, raw, order_body())

    assert response.status_code == 201
    assert Variant.objects.get(pk=tee.pk).stock == 0


# --- The store's rules: each a 422 naming the field, nothing written ---------------------------


def _set(path: str, value):
    """A body with the value at a dotted path ("lines.0.sku") replaced."""

    def change(body):
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
        return body

    return change


INVALID = [
    ("unknown_sku", _set("lines.0.sku", "NOPE"), "lines.0.sku", "unknown_sku"),
    ("zero_quantity", _set("lines.0.quantity", 0), "lines.0.quantity", "quantity_not_positive"),
    (
        "negative_quantity",
        _set("lines.0.quantity", -2),
        "lines.0.quantity",
        "quantity_not_positive",
    ),
    (
        "price_with_three_places",
        _set("lines.0.unit_price", "20.005"),
        "lines.0.unit_price",
        "too_many_decimal_places",
    ),
    (
        "float_noise_in_tax",
        _set("tax", 0.1 + 0.2),
        "tax",
        "too_many_decimal_places",
    ),
    (
        "negative_unit_price",
        _set("lines.0.unit_price", "-1.00"),
        "lines.0.unit_price",
        "negative_amount",
    ),
    ("negative_line_tax", _set("lines.0.tax", "-1.60"), "lines.0.tax", "negative_amount"),
    ("negative_shipping", _set("shipping", "-5.00"), "shipping", "negative_amount"),
    ("negative_discount", _set("discount", "-1"), "discount", "negative_amount"),
    (
        "line_discount_above_its_price",
        _set("lines.0.discount", "41.00"),
        "lines.0.discount",
        "discount_too_large",
    ),
    (
        "subtotal_not_sum_of_lines",
        lambda body: _set("total", "47.20")(_set("subtotal", "39.00")(body)),
        "subtotal",
        "subtotal_mismatch",
    ),
    ("total_not_adding_up", _set("total", "48.00"), "total", "total_mismatch"),
    ("other_currency", _set("currency", "EUR"), "currency", "currency_mismatch"),
    ("invalid_email", _set("customer.email", "not-an-email"), "customer.email", "invalid_email"),
    ("empty_email", _set("customer.email", ""), "customer.email", "invalid_email"),
    (
        "no_shipping_address_for_goods_that_ship",
        _set("shipping_address", None),
        "shipping_address",
        "shipping_address_required",
    ),
    (
        "missing_email",
        lambda body: body["customer"].pop("email") and body,
        "customer.email",
        "missing",
    ),
    ("no_lines", _set("lines", []), "lines", "too_short"),
    ("naive_placed_at", _set("placed_at", "2025-03-01T10:15:00"), "placed_at", "timezone_aware"),
    (
        "bad_country",
        _set("billing_address.country", "USA"),
        "billing_address.country",
        "string_pattern_mismatch",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_order_is_refused_naming_the_field_and_writes_nothing(
    client, online_key, tee, change, field, kind
):
    _, raw = online_key
    body = change(copy.deepcopy(order_body()))
    before = counts()

    response = post(client, raw, body, key="bad-request")

    assert response.status_code == 422
    expected_loc = ["body", "payload", *(int(p) if p.isdigit() else p for p in field.split("."))]
    errors = response.json()["detail"]
    assert [(e["loc"], e["type"]) for e in errors] == [(expected_loc, kind)]
    assert errors[0]["msg"]
    assert counts() == before


def test_member_order_refused_leaves_no_profile(client, online_key, tee):
    _, raw = online_key
    customer = {**order_body()["customer"], "member_ref": "acct-7"}

    response = post(client, raw, order_body(customer=customer, total="1.00"), key="k")

    assert response.status_code == 422
    assert Profile.objects.count() == 0


def test_every_broken_rule_is_reported_at_once(client, online_key, tee):
    _, raw = online_key
    body = order_body(
        currency="EUR",
        shipping_address=None,
        lines=[
            {"sku": "NOPE", "quantity": 1, "unit_price": "1.00"},
            {"sku": "TEE-M-RED", "quantity": 0, "unit_price": "20.001"},
        ],
        shipping="-1",
        total="48.201",
    )
    body["customer"]["email"] = "nobody"

    response = post(client, raw, body)

    assert response.status_code == 422
    assert sorted(map(str, locs(response))) == sorted(
        map(
            str,
            [
                ["body", "payload", "currency"],
                ["body", "payload", "customer", "email"],
                ["body", "payload", "lines", 0, "sku"],
                ["body", "payload", "lines", 1, "quantity"],
                ["body", "payload", "lines", 1, "unit_price"],
                ["body", "payload", "shipping"],
                ["body", "payload", "total"],
                ["body", "payload", "shipping_address"],
            ],
        )
    )
    assert Order.objects.count() == 0


def test_decimal_places_follow_the_store_currency(client, online_key, tee, settings):
    settings.STORE_CURRENCY = "JPY"
    settings.STORE_CURRENCY_PLACES = 0
    _, raw = online_key
    body = order_body(currency="JPY")

    response = post(client, raw, body)

    assert response.status_code == 422
    assert ["body", "payload", "tax"] in locs(response)
    assert ["body", "payload", "lines", 0, "tax"] in locs(response)
    assert ["body", "payload", "subtotal"] not in locs(response)


def test_too_long_idempotency_key_is_refused(client, online_key, tee):
    _, raw = online_key

    response = post(client, raw, order_body(), key="k" * 201)

    assert response.status_code == 422
    assert locs(response) == [["header", "Idempotency-Key"]]
    assert Order.objects.count() == 0


# --- Idempotency ------------------------------------------------------------------------------


def test_replay_with_same_key_and_body_returns_the_first_order(client, online_key, tee):
    _, raw = online_key

    first = post(client, raw, order_body(), key="web-1001")
    again = post(client, raw, order_body(), key="web-1001")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert IntakeRequest.objects.count() == 1


def test_replay_matches_the_parsed_body_not_its_spelling(client, online_key, tee):
    _, raw = online_key
    spelled_differently = order_body(subtotal=40, shipping="5", total="48.2")

    first = post(client, raw, order_body(), key="web-1001")
    again = post(client, raw, spelled_differently, key="web-1001")

    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]


def test_replay_of_a_captured_order_answers_as_the_first_time(client, online_key, tee):
    _, raw = online_key
    body = order_body(payment={"status": "captured"})

    first = post(client, raw, body, key="paid-1")
    again = post(client, raw, body, key="paid-1")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["status"] == "paid"
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (8, 2)


def test_same_key_with_a_different_body_is_a_conflict(client, online_key, tee):
    _, raw = online_key

    post(client, raw, order_body(), key="web-1001")
    response = post(client, raw, order_body(external_ref="WEB-1002"), key="web-1001")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Idempotency-Key 'web-1001' was used with a different request body."
    }
    assert Order.objects.count() == 1


def test_same_key_on_another_channel_is_another_order(client, online_key, in_store_key, tee):
    assert post(client, online_key[1], order_body(), key="shared").status_code == 201
    assert post(client, in_store_key[1], order_body(), key="shared").status_code == 201

    assert Order.objects.count() == 2


def test_replay_matches_across_keys_of_the_same_channel(client, online_key, tee):
    _, new_raw = api_key(Channel.ONLINE, name="Storefront (rotated)")

    first = post(client, online_key[1], order_body(), key="web-1001")
    again = post(client, new_raw, order_body(), key="web-1001")

    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]


def test_refused_request_does_not_use_up_its_key(client, online_key, tee):
    _, raw = online_key

    refused = post(client, raw, order_body(total="1.00"), key="web-1001")
    accepted = post(client, raw, order_body(), key="web-1001")

    assert refused.status_code == 422
    assert accepted.status_code == 201
    assert Order.objects.count() == 1


# --- Authentication ---------------------------------------------------------------------------


def test_missing_key_is_unauthorized(client, tee):
    response = post(client, None, order_body())

    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    ["Bearer bo_0123456789abcdef_wrong", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_invalid_key_is_unauthorized(client, online_key, tee, header):
    response = client.post(
        URL, order_body(), content_type="application/json", headers={"Authorization": header}
    )

    assert response.status_code == 401
    assert response.json()["detail"]
    assert Order.objects.count() == 0


def test_key_with_the_right_lookup_but_wrong_secret_is_unauthorized(client, online_key, tee):
    key, _ = online_key
    forged = f"bo_{key.lookup}_{'x' * 43}"

    response = post(client, forged, order_body())

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key."}


def test_revoked_key_is_unauthorized(client, online_key, tee):
    key, raw = online_key
    key.revoked_at = timezone.now()
    key.save()

    response = post(client, raw, order_body())

    assert response.status_code == 401
    assert response.json() == {"detail": "This API key has been revoked."}
    assert Order.objects.count() == 0


def test_last_used_at_is_written_at_most_once_a_minute(client, online_key, tee):
    key, raw = online_key

    post(client, raw, order_body())
    key.refresh_from_db()
    first_use = key.last_used_at
    post(client, raw, order_body())
    key.refresh_from_db()
    assert first_use is not None
    assert key.last_used_at == first_use

    key.last_used_at = timezone.now() - timedelta(minutes=2)
    key.save()
    post(client, raw, order_body())
    key.refresh_from_db()
    assert key.last_used_at > first_use


def test_api_needs_no_session_and_no_csrf_token(online_key, tee):
    _, raw = online_key
    browserless = Client(enforce_csrf_checks=True)

    response = post(browserless, raw, order_body())

    assert response.status_code == 201


# --- Reading an order back --------------------------------------------------------------------


def test_order_is_read_back_by_number(client, online_key, tee, ebook):
    _, raw = online_key
    body = order_body(
        lines=[
            {"sku": "TEE-M-RED", "quantity": 2, "unit_price": "20.00"},
            {"sku": "EBOOK-1", "quantity": 1, "unit_price": "9.00"},
        ],
        subtotal="49.00",
        total="57.20",
    )
    number = post(client, raw, body).json()["number"]

    response = client.get(f"{URL}{number}", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 200
    data = response.json()
    order = Order.objects.get(number=number)
    assert data["number"] == number
    assert (data["status"], data["status_label"]) == ("pending", "Pending")
    assert (data["channel"], data["currency"], data["total"]) == ("online", "USD", "57.20")
    assert data["placed_at"] == "2025-03-01T08:15:00Z"
    assert data["updated_at"].startswith(order.updated_at.strftime("%Y-%m-%dT%H:%M"))
    assert data["lines"] == [
        {
            "sku": "TEE-M-RED",
            "name": "Tee (colour: red, size: M)",
            "quantity": 2,
            "fulfilment_status": "unfulfilled",
        },
        {
            "sku": "EBOOK-1",
            "name": "Field Guide (PDF)",
            "quantity": 1,
            "fulfilment_status": "not_required",
        },
    ]


def test_order_of_another_channel_is_not_found(client, online_key):
    _, raw = online_key
    order = OrderFactory(channel=Channel.IN_STORE)

    response = client.get(f"{URL}{order.number}", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 404
    assert response.json()["detail"]


def test_unknown_order_number_is_not_found(client, online_key):
    _, raw = online_key

    response = client.get(f"{URL}999999999", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 404


def test_reading_an_order_needs_a_key(client):
    order = OrderFactory()

    assert client.get(f"{URL}{order.number}").status_code == 401


# --- Documentation ----------------------------------------------------------------------------


def test_openapi_schema_is_served_without_login(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) >= {"/api/v1/orders/", "/api/v1/orders/{number}"}
    create = schema["paths"]["/api/v1/orders/"]["post"]
    assert {"201", "200", "401", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    components = schema["components"]
    assert components["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
    order_in = components["schemas"]["OrderIn"]["properties"]
    assert "description" in order_in["total"]
    assert "description" in order_in["shipping_address"]


def test_docs_page_is_served_without_login_and_without_a_cdn(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert "cdn" not in html.lower()
    assert "/api/v1/openapi.json" in html
    bundle = client.get(next(a for a in assets if a.endswith("swagger-ui-bundle.js")))
    assert bundle.status_code == 200
