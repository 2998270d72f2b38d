"""Revoking a customer's tracking link in a real browser: the shipping panel asks first, then
answers in place (htmx), and the old link gives the tracking page's not-found answer."""

import datetime
import re

import pytest

from orders.models import OrderStatus
from shipping import tracking
from shipping.models import Carrier, Shipment, ShipmentLine, TrackingNumber
from tests.factories import UserFactory, order_with_lines

SCREENSHOTS = "/tmp"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_revoke_a_tracking_link_after_confirming(page, login, live_server, browser_errors):
    UserFactory(role="staff", username="clerk")
    order = order_with_lines(lines=1, status=OrderStatus.SHIPPED)
    shipment = Shipment.objects.create(
        order=order, carrier=Carrier.objects.get(code="ups"), shipped_on=datetime.date(2024, 5, 1)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=1)
    TrackingNumber.objects.create(shipment=shipment, number="1Z999AA10123456784")
    old = tracking.tracking_token_for(order)
    url = f"/orders/{order.number}/"

    login("clerk", "pass-word-123", next_path=url)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke tracking link").click()
    assert tracking.tracking_token_for(order) == old  # dismissed: nothing happened

    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Revoke tracking link").click()
    page.get_by_text(f"The tracking link of order #{order.number} is revoked").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    assert "Revoke the tracking link" in dialogs[0]
    page.screenshot(
        caret="initial", path=f"{SCREENSHOTS}/tracking_link_revoked.png", full_page=True
    )

    # The old link's page answers 404, which the browser logs as a failed load.
    browser_errors.expect(rf"at {re.escape(live_server.url)}/track/{old}/: .* status of 404")
    page.goto(f"{live_server.url}/track/{old}/")
    assert page.get_by_role("heading", name="Order not found").is_visible()
