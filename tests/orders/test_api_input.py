"""The intake API refuses odd input with a 422 naming the field, never a 500, and writes
nothing: NUL characters (Postgres cannot store them), timestamps at the calendar's edges,
amounts too large to handle, loose types (strict schemas) and bodies not sent as JSON."""

import copy
import json
from decimal import Decimal

import pytest
import requests

from orders import api as orders_api
from orders.models import Channel
from tests.factories import ProductFactory, VariantFactory, api_key
from tests.orders.test_api import URL, counts, locs, order_body, post

pytestmark = pytest.mark.django_db

# Every string field of an order, as (path in the body, loc in the error).
STRING_FIELDS = [
    ("external_ref",),
    ("currency",),
    ("customer", "email"),
    ("customer", "first_name"),
    ("customer", "last_name"),
    ("customer", "phone"),
    ("customer", "member_ref"),
    *[
        (address, field)
        for address in ("billing_address", "shipping_address")
        for field in (
            "name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
        )
    ],
    ("lines", 0, "sku"),
    ("payment", "token"),
    ("payment", "authorization_code"),
    ("payment", "card_fingerprint"),
]


@pytest.fixture(autouse=True)
def tee():
    return VariantFactory(
        sku="TEE-M-RED",
        product=ProductFactory(name="Tee", is_shippable=True),
        price=Decimal("20.00"),
        stock=10,
    )


@pytest.fixture
def raw():
    return api_key(Channel.ONLINE, name="Storefront")[1]


def with_value(path: tuple, value) -> dict:
    body = copy.deepcopy(order_body())
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def refused(client, raw, body, *, key="odd-1") -> dict:
    """The 422's errors by loc, after checking that nothing was written."""
    before = counts()
    response = post(client, raw, body, key=key)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/json")
    assert counts() == before
    return {tuple(error["loc"]): error for error in response.json()["detail"]}


@pytest.mark.parametrize("path", STRING_FIELDS, ids=lambda path: ".".join(map(str, path)))
def test_a_nul_in_any_string_field_is_a_422_naming_it(client, raw, path):
    errors = refused(client, raw, with_value(path, "AB\x00C"))
    error = errors[("body", "payload", *path)]
    # A country is two letters: its pattern refuses the NUL first.
    expected = "string_pattern_mismatch" if path[-1] == "country" else "nul_character"
    assert error["type"] == expected


@pytest.mark.parametrize(
    "placed_at",
    ["0001-01-01T00:00:00+03:04", "9999-12-31T23:59:59-05:00", "1999-12-31T23:59:59Z"],
)
def test_placed_at_outside_a_plausible_range_is_a_422(client, raw, placed_at):
    errors = refused(client, raw, order_body(placed_at=placed_at))
    assert errors[("body", "payload", "placed_at")]["type"] == "datetime_out_of_range"


@pytest.mark.parametrize("total", ["1e999999999", "1" * 41, "0." + "1" * 21, 1e300])
def test_a_huge_or_overlong_amount_with_an_idempotency_key_is_a_422(client, raw, total):
    errors = refused(client, raw, order_body(total=total), key="huge-1")
    assert ("body", "payload", "total") in errors


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("lines", 0, "quantity"), True),
        (("lines", 0, "quantity"), "2"),
        (("lines", 0, "quantity"), 2.0),
        (("lines", 0, "unit_price"), True),
        (("total",), " 48.20"),
        (("placed_at",), 1740816900),
        (("client_ip",), 3405803785),
        (("customer", "first_name"), 5),
    ],
)
def test_loose_types_are_not_coerced(client, raw, path, value):
    errors = refused(client, raw, with_value(path, value))
    assert ("body", "payload", *path) in errors


def test_amounts_as_numbers_or_decimal_strings_are_still_taken(client, raw):
    body = order_body(total=48.2, subtotal="40", shipping=5)
    response = post(client, raw, body, key="numbers-1")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_not_sent_as_json_is_a_415(client, raw, content_type):
    before = counts()
    response = client.post(
        URL,
        json.dumps(order_body()),
        content_type=content_type,
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert counts() == before


def test_an_idempotency_key_with_a_nul_is_a_422(client, raw):
    before = counts()
    response = post(client, raw, order_body(), key="k\x00ey")
    assert response.status_code == 422
    assert locs(response) == [["header", "Idempotency-Key"]]
    assert counts() == before


# --- Over HTTP, DEBUG off, as the 500s were found -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_over_http_odd_input_is_a_json_422_not_an_html_500(live_server, settings):
    assert not settings.DEBUG
    _, raw = api_key(Channel.ONLINE, name="Storefront")
    url = f"{live_server.url}{URL}"
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "live-1"}
    for body in (
        with_value(("customer", "last_name"), "Love\x00lace"),
        order_body(placed_at="0001-01-01T00:00:00+03:04"),
        order_body(total="1e999999999"),
    ):
        response = requests.post(url, json=body, headers=headers, timeout=10)
        assert response.status_code == 422, response.text[:200]
        assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.django_db(transaction=True)
def test_over_http_a_server_error_is_json_too(live_server, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(orders_api, "intake_submit", broken)
    _, raw = api_key(Channel.ONLINE, name="Storefront")
    response = requests.post(
        f"{live_server.url}{URL}",
        json=order_body(),
        headers={"Authorization": f"Bearer {raw}"},
        timeout=10,
    )
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Server error."}
    assert "boom" not in response.text


@pytest.mark.django_db(transaction=True)
def test_over_http_unknown_paths_and_methods_answer_json(live_server):
    _, raw = api_key(Channel.ONLINE, name="Storefront")
    auth = {"Authorization": f"Bearer {raw}"}
    for path in ("/api/v1/nothing-here/", "/api/", "/api/v1/orders/not-a-number", "/api/v2/"):
        response = requests.get(f"{live_server.url}{path}", headers=auth, timeout=10)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert response.json()["detail"]
    response = requests.post(f"{live_server.url}/api/v1/orders", headers=auth, timeout=10)
    assert response.status_code == 404
    assert response.json()["detail"].endswith("Did you mean /api/v1/orders/?")
    response = requests.delete(f"{live_server.url}{URL}", headers=auth, timeout=10)
    assert response.status_code == 405
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Allow"] == "POST"
    assert "DELETE" in response.json()["detail"]
