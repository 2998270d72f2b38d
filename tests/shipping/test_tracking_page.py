import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from notifications.emails import render_email
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue
from orders.actors import Actor
from orders.models import Channel, Order, OrderStatus
from orders.services import order_note_add
from shipping import tracking
from shipping.models import Carrier, OrderTracking, Shipment, ShipmentLine, TrackingNumber
from tests.factories import (
    ProductFactory,
    UserFactory,
    VariantFactory,
    api_key,
    order_with_lines,
)
from tests.orders.test_api import order_body

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("Test")
NOT_FOUND = "We could not find an order with that number and email address."
LOOKUP = "/track/"


def shipped_order(**fields):
    order = order_with_lines(
        lines=2,
        status=OrderStatus.SHIPPED,
        payment_token="tok_SECRET_PAYMENT",
        authorization_code="AUTH-SECRET-42",
        **fields,
    )
    carrier = Carrier.objects.get(code="ups")
    shipment = Shipment.objects.create(
        order=order, carrier=carrier, shipped_on=datetime.date(2024, 5, 1)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.first(), quantity=1)
    TrackingNumber.objects.create(shipment=shipment, number="1Z999AA10123456784")
    return order


def page(client, order):
    return client.get(reverse("shipping:track", args=[tracking.tracking_token_for(order)]))


@pytest.fixture
def ip():
    """A client IP with its lookup counter cleared (each test process has its own cache
    prefix, so parallel workers do not share counters)."""
    address = "10.9.8.7"
    cache.delete(f"throttle:track-lookup:{address}")
    return address


def test_the_page_shows_items_and_shipments_with_carrier_links_without_login(client):
    order = shipped_order()
    response = page(client, order)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Order #{order.number}" in html
    for line in order.lines.all():
        assert line.name in html
    assert "UPS" in html
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    assert "On its way" in html
    assert 'name="viewport"' in html
    assert "mainnav" not in html  # not the staff layout


def test_the_page_leaks_no_internal_notes_staff_or_payment_data(client):
    staff = UserFactory(role="staff", first_name="Zebulon", last_name="Quirkstaff")
    order = shipped_order()
    order_note_add(order_id=order.pk, text="INTERNAL-SECRET fraud suspicion", actor=Actor.of(staff))
    html = page(client, order).content.decode()
    for secret in ("INTERNAL-SECRET", "tok_SECRET_PAYMENT", "AUTH-SECRET-42", "Quirkstaff"):
        assert secret not in html


def test_a_token_shows_its_own_order_only(client):
    order_a, order_b = shipped_order(), shipped_order()
    html = page(client, order_a).content.decode()
    assert f"#{order_a.number}" in html
    assert str(order_b.number) not in html
    assert order_b.customer_email not in html


def test_wrong_and_revoked_tokens_give_the_same_not_found_page(client):
    order = shipped_order()
    old = tracking.tracking_token_for(order)
    new = tracking.tracking_token_revoke(order)
    assert new != old and tracking.tracking_token_for(order) == new
    assert OrderTracking.objects.filter(order=order).count() == 2
    wrong = client.get(reverse("shipping:track", args=["not-a-real-token"]))
    revoked = client.get(reverse("shipping:track", args=[old]))
    assert wrong.status_code == revoked.status_code == 404
    assert wrong.content == revoked.content
    assert str(order.number) not in revoked.content.decode()
    assert client.get(reverse("shipping:track", args=[new])).status_code == 200


def test_the_lookup_form_needs_no_login_and_has_csrf(client):
    response = client.get(LOOKUP)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_the_lookup_refuses_a_post_without_csrf_token(ip):
    order = shipped_order()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        LOOKUP, {"number": order.number, "email": order.customer_email}, REMOTE_ADDR=ip
    )
    assert response.status_code == 403


def test_the_right_pair_redirects_to_the_token_page_whatever_the_email_case(client, ip):
    order = shipped_order(customer_email="Jane.Doe@Example.com")
    response = client.post(
        LOOKUP, {"number": f"#{order.number}", "email": "jane.doe@EXAMPLE.com "}, REMOTE_ADDR=ip
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "shipping:track", args=[tracking.tracking_token_for(order)]
    )


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def test_a_wrong_email_and_an_unknown_number_give_the_same_answer(client, ip):
    order = shipped_order()
    wrong_email = client.post(
        LOOKUP, {"number": order.number, "email": "someone@else.com"}, REMOTE_ADDR=ip
    )
    unknown = client.post(
        LOOKUP, {"number": order.number + 1000, "email": "someone@else.com"}, REMOTE_ADDR=ip
    )
    assert wrong_email.status_code == unknown.status_code == 200
    assert NOT_FOUND in wrong_email.content.decode()
    assert [t.name for t in wrong_email.templates] == [t.name for t in unknown.templates]
    # The numbers typed differ, so the form echoes them: blank those too.
    a = without_csrf(wrong_email.content).replace(str(order.number).encode(), b"N")
    b = without_csrf(unknown.content).replace(str(order.number + 1000).encode(), b"N")
    assert a == b


def test_lookups_are_rate_limited_per_ip(client, ip):
    order = shipped_order()
    data = {"number": order.number, "email": "wrong@example.com"}
    for _ in range(tracking.LOOKUP_LIMIT):
        assert client.post(LOOKUP, data, REMOTE_ADDR=ip).status_code == 200
    limited = client.post(LOOKUP, data, REMOTE_ADDR=ip)
    assert limited.status_code == 429
    assert "try again" in limited.content.decode()
    # even the right pair waits; another client is not affected
    right = {"number": order.number, "email": order.customer_email}
    assert client.post(LOOKUP, right, REMOTE_ADDR=ip).status_code == 429
    other = ip.rsplit(".", 1)[0] + ".251"
    cache.delete(f"throttle:track-lookup:{other}")
    assert client.post(LOOKUP, right, REMOTE_ADDR=other).status_code == 302


@pytest.mark.parametrize("kind", [OutboxMessage.Kind.SHIPPED, OutboxMessage.Kind.DELIVERED])
def test_shipped_and_delivered_emails_link_to_the_tracking_page(kind, settings):
    settings.SITE_URL = "https://shop.example"
    order = shipped_order()
    shipment = order.shipments.get()
    key = f"shipment:{shipment.pk}" if kind == OutboxMessage.Kind.SHIPPED else "delivered"
    message = outbox_enqueue(order=order, kind=kind, subject_key=key, actor=SYSTEM)
    rendered = render_email(message)
    url = "https://shop.example" + reverse(
        "shipping:track", args=[tracking.tracking_token_for(order)]
    )
    assert f"Track your order: {url}" in rendered.text
    assert f'href="{url}"' in rendered.html


def test_an_order_from_the_storefront_shows_each_item_s_variant_once(client):
    """Intake writes the product's name and the variant's options apart; the page joins them
    once, in the order's items and in each parcel's."""
    VariantFactory(
        sku="ASP-WHT-XS",
        product=ProductFactory(name="Aspen Crewneck", is_shippable=True),
        options={"colour": "White", "size": "XS"},
        price=Decimal("20.00"),
        stock=10,
    )
    _, raw = api_key(Channel.ONLINE)
    body = order_body(
        lines=[{"sku": "ASP-WHT-XS", "quantity": 2, "unit_price": "20.00", "tax": "1.60"}]
    )
    response = client.post(
        "/api/v1/orders/", body, content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "track-variant"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    shipment = Shipment.objects.create(
        order=order, carrier=Carrier.objects.get(code="ups"), shipped_on=datetime.date(2025, 3, 2)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=2)

    text = " ".join(re.sub(r"<[^>]+>", " ", page(client, order).content.decode()).split())
    assert text.count("colour: White, size: XS") == 2  # the items, and the parcel's
    assert text.count("Aspen Crewneck (colour: White, size: XS)") == 2


def test_a_token_with_a_nul_is_the_same_not_found_page(client):
    order = shipped_order()
    token = tracking.tracking_token_for(order)
    wrong = client.get(reverse("shipping:track", args=["not-a-real-token"]))
    response = client.get(reverse("shipping:track", args=[token + "\x00"]))
    assert response.status_code == 404
    assert response.content == wrong.content
