"""The order list as an order desk, in Chromium: find an order by number (whole, or its first
digits), change many orders' status at once and read the summary, and mark one shipped from
its row with the courier and tracking number asked in place."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import tasks
from orders.models import Order, OrderStatus
from shipping.models import Shipment
from tests.factories import OrderFactory, UserFactory, order_with_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
UPS_BAD = "1Z999AA10123456785"


@pytest.fixture(autouse=True)
def handed(monkeypatch):
    """Emails handed to the broker, kept here (no worker in these tests)."""
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    return queued


@pytest.fixture
def clerk(db):
    return UserFactory(role="staff", username="clerk")


def test_find_an_order_by_number_and_by_its_first_digits(page, login, live_server, clerk):
    now = timezone.now()
    for number in [70001, 70002, 70009, 70100]:
        OrderFactory(number=number, placed_at=now - timedelta(minutes=number % 100))
    login("clerk", "pass-word-123")

    # "/" jumps to the search box; a whole number opens that order.
    page.keyboard.press("/")
    page.keyboard.type("70002")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/orders/70002/")
    assert "Order #70002" in page.locator("h1").inner_text()

    # The first digits of a number list the orders whose number starts with them.
    page.goto(f"{live_server.url}/orders/")
    page.get_by_label("Find orders by number, customer name or email").fill("7000")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/orders/?q=7000*")
    rows = page.locator("tbody tr[id^=order-]")
    assert [r.get_attribute("id") for r in rows.all()] == [
        "order-70009",
        "order-70002",
        "order-70001",
    ]
    assert "orders whose number starts with 7000" in page.locator(".list-note").inner_text()


def test_bulk_status_change_shows_what_changed_and_what_was_refused(
    page, login, live_server, clerk
):
    now = timezone.now()
    ready = [
        order_with_lines(lines=1, status=OrderStatus.PAID, placed_at=now - timedelta(minutes=i))
        for i in range(3)
    ]
    # Nothing on it ships: it cannot go "in process".
    digital = order_with_lines(
        lines=0, status=OrderStatus.PAID, placed_at=now - timedelta(minutes=10)
    )
    login("clerk", "pass-word-123")
    assert "Tick orders" in page.locator("[data-bulk-count]").inner_text()

    page.get_by_label("Select every order on this page").check()
    assert page.locator("[data-bulk-count]").inner_text() == "4 selected"
    page.get_by_label(f"Select order #{ready[2].number}").uncheck()
    assert page.locator("[data-bulk-count]").inner_text() == "3 selected"
    page.get_by_label(f"Select order #{ready[2].number}").check()
    page.get_by_label("New status for the chosen orders").select_option("in_process")
    page.locator("#bulk-status button[type=submit]").click()

    message = page.locator("#messages .message-warning")
    message.wait_for()
    text = message.inner_text()
    assert text.startswith("3 changed to In process; 1 refused:")
    assert f"#{digital.number} Paid → In process: Nothing on this order ships" in text
    for order in ready:
        assert page.locator(f"#order-{order.number} .badge.status-in_process").is_visible()
    statuses = set(Order.objects.filter(pk__in=[o.pk for o in ready]).values_list("status"))
    assert statuses == {(OrderStatus.IN_PROCESS,)}


def test_mark_shipped_from_the_row_asks_for_courier_and_tracking_in_place(
    page, login, live_server, clerk, handed
):
    order = order_with_lines(lines=2, status=OrderStatus.PAID, customer_email="kim@example.com")
    login("clerk", "pass-word-123")
    page.evaluate("window.__sameDocument = true")  # a full page load would lose it

    row = page.locator(f"#order-{order.number}")
    row.locator("select[name=to]").select_option(label="Mark shipped…")
    row.get_by_role("button", name="Apply").click()
    form = page.locator(f"#order-{order.number}-form")
    form.wait_for()
    assert "Sends everything left to send" in form.inner_text()

    form.get_by_label("Carrier or courier").select_option(label="UPS")
    form.get_by_label("Tracking numbers").fill(UPS_BAD)
    form.get_by_role("button", name="Record shipment").click()
    # Refused in place with the carrier's reason, and a field to record it anyway.
    form.get_by_text("the check digit should be 4, not 5").wait_for()
    assert not Shipment.objects.exists()
    form.get_by_label("Record anyway, because…").fill("Label printed by UPS's own app")
    form.get_by_role("button", name="Record shipment").click()

    page.locator(f"#order-{order.number} .badge.status-shipped").wait_for()
    assert page.locator(f"#order-{order.number}-form").count() == 0
    assert page.evaluate("window.__sameDocument") is True
    assert f"Order #{order.number} is shipped by UPS" in page.locator("#messages").inner_text()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    tracking = Shipment.objects.get(order=order).tracking_numbers.get()
    assert (tracking.number, tracking.override_reason) == (
        UPS_BAD,
        "Label printed by UPS's own app",
    )
    assert len(handed) == 1  # the shipped email, to the worker

    # Cancel closes the form and gives the row its menu back.
    other = order_with_lines(lines=1, status=OrderStatus.PAID)
    page.reload()
    row = page.locator(f"#order-{other.number}")
    row.locator("select[name=to]").select_option(label="Mark shipped…")
    row.get_by_role("button", name="Apply").click()
    page.locator(f"#order-{other.number}-form").get_by_role("button", name="Cancel").click()
    page.locator(f"#order-{other.number} select[name=to]").wait_for()
    assert page.locator(f"#order-{other.number}-form").count() == 0


def test_the_lookup_box_suggests_orders_by_their_first_digits(page, login, live_server, clerk):
    for number in [81001, 81002, 81100, 92001]:
        OrderFactory(number=number, customer_name=f"Buyer {number}")
    login("clerk", "pass-word-123")
    box = page.get_by_role("combobox", name="Find orders by number, customer name or email")
    box.fill("810")
    options = page.locator("#lookup-options [role=option]")
    options.first.wait_for()
    assert [o.locator(".lookup-number").inner_text() for o in options.all()] == [
        "#81001",
        "#81002",
    ]
    assert "Buyer 81001 · Pending" in options.first.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url(f"{live_server.url}/orders/81002/")
