"""What a new user hit on pages (issue 9), followed in Chromium as they did it: a customer's
name found by any of its words, the tracking page's items named once, an invoice whose line
totals add up to its footer, and a refused status move that says what would allow it."""

import datetime
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from invoicing.models import Invoice
from notifications import tasks
from orders.models import Channel, Order, OrderStatus
from shipping import tracking
from shipping.models import Carrier, Shipment, ShipmentLine
from tests.factories import (
    OrderFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    api_key,
    order_with_lines,
)
from tests.invoicing.conftest import paid_invoice
from tests.orders.test_api import order_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SEARCH = "Find orders by number, customer name or email"


@pytest.fixture(autouse=True)
def handed(monkeypatch):
    """Emails handed to the broker, kept here (no worker in these tests)."""
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    return queued


@pytest.fixture
def clerk(db):
    return UserFactory(role="staff", username="clerk")


def _money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.-]", "", text))


def test_a_surname_finds_the_customer_and_an_empty_search_does_not_mention_dates(
    page, login, live_server, clerk
):
    now = timezone.now()
    anne = OrderFactory(customer_name="Anne Smith", placed_at=now - timedelta(minutes=1))
    guest = OrderFactory(
        customer_name="Guest", customer_email="guest.4411@example.com", placed_at=now
    )
    OrderFactory(customer_name="Bob Jones", placed_at=now - timedelta(minutes=2))
    login("clerk", "pass-word-123")

    page.get_by_label(SEARCH).fill("smith")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/orders/?q=smith*")
    rows = page.locator("tbody tr[id^=order-]")
    assert [r.get_attribute("id") for r in rows.all()] == [f"order-{anne.number}"]

    page.get_by_label(SEARCH).fill("guest")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/orders/?q=guest*")
    assert [r.get_attribute("id") for r in rows.all()] == [f"order-{guest.number}"]

    page.get_by_label(SEARCH).fill("mith")  # not the start of any word
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/orders/?q=mith*")
    empty = page.locator("tbody .empty-row").inner_text()
    assert "No orders match these filters." in empty
    assert "dates" not in empty


def test_the_tracking_page_names_a_storefront_item_and_its_variant_once(page, live_server):
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
    response = Client().post(
        "/api/v1/orders/", body, content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "browser-variant"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    shipment = Shipment.objects.create(
        order=order, carrier=Carrier.objects.get(code="ups"), shipped_on=datetime.date(2026, 3, 2)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=2)

    page.goto(f"{live_server.url}/track/{tracking.tracking_token_for(order)}/")
    text = " ".join(page.locator("main").inner_text().split())
    assert text.count("Aspen Crewneck (colour: White, size: XS)") == 2  # items, and the parcel
    assert "(colour: White, size: XS) (colour: White, size: XS)" not in text


def test_an_invoice_s_line_totals_add_up_to_its_footer(page, login, live_server, clerk):
    invoice = paid_invoice(lines=2)
    login("clerk", "pass-word-123", next_path=invoice.get_absolute_url())

    headers = [th.strip() for th in page.locator("table.lines-grid thead th").all_text_contents()]
    assert "Total excl. tax" in headers and "Tax" in headers
    column = headers.index("Total excl. tax")
    rows = page.locator("table.lines-grid tbody tr").all()
    totals = [_money(row.locator("td").nth(column).inner_text()) for row in rows]
    terms = [dt.strip() for dt in page.locator("dl.amounts dt").all_text_contents()]
    amounts = [_money(dd) for dd in page.locator("dl.amounts dd").all_inner_texts()]
    footer = dict(zip(terms, amounts, strict=True))
    assert sum(totals) == footer["Subtotal excl. tax"]
    assert (
        footer["Subtotal excl. tax"] - footer["Discount"] + footer["Shipping"] + footer["Tax"]
        == footer["Total"]
        == invoice.total
    )
    assert invoice.kind == Invoice.Kind.INVOICE


def test_a_refused_move_says_the_order_must_be_paid_first(page, login, live_server, clerk):
    pending = order_with_lines(lines=1, status=OrderStatus.PENDING)
    paid = order_with_lines(
        lines=1, status=OrderStatus.PAID, placed_at=timezone.now() - timedelta(minutes=5)
    )
    login("clerk", "pass-word-123")

    page.get_by_label(f"Select order #{pending.number}").check()
    page.get_by_label(f"Select order #{paid.number}").check()
    page.get_by_label("New status for the chosen orders").select_option("in_process")
    page.locator("#bulk-status button[type=submit]").click()

    message = page.locator("#messages .message-warning")
    message.wait_for()
    text = message.inner_text()
    assert text.startswith("1 changed to In process; 1 refused:")
    assert (
        f"#{pending.number} Pending → In process: Pending cannot become In process: "
        "the order must be paid first"
    ) in text
