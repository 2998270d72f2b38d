"""Settings → Emails in a real browser: a store admin previews an email; the HTML part shows in
a sandboxed frame where a hostile customer name stays text and runs nothing."""

import datetime

import pytest

from orders.models import OrderStatus
from shipping.models import Carrier, Shipment, ShipmentLine, TrackingNumber
from tests.factories import UserFactory, order_with_lines

SCREENSHOTS = "/tmp"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_store_admin_previews_an_email_and_hostile_order_data_runs_nothing(
    page, login, live_server
):
    UserFactory(role="admin", username="owner")
    order = order_with_lines(
        lines=1,
        status=OrderStatus.SHIPPED,
        customer_name="<img src=x onerror=\"parent.document.title='pwned'\">",
    )
    shipment = Shipment.objects.create(
        order=order, carrier=Carrier.objects.get(code="ups"), shipped_on=datetime.date(2024, 5, 1)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=1)
    TrackingNumber.objects.create(shipment=shipment, number="1Z999AA10123456784")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    login("owner", "pass-word-123", next_path="/settings/emails/")
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/email_list.png", full_page=True)
    page.get_by_role("link", name="Preview").first.click()
    frame = page.frame_locator("iframe.email-frame")
    frame.get_by_text("is on its way").wait_for()
    assert "Jane Doe" in frame.locator("body").inner_text()
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/email_preview_sample.png", full_page=True)

    page.fill("#id_order", str(order.number))
    page.get_by_role("button", name="Preview", exact=True).click()
    page.wait_for_url(f"**?order={order.number}")
    body = frame.locator("body")
    body.get_by_text("is on its way").wait_for()
    assert "<img src=x onerror=" in body.inner_text()  # shown as the text it is
    assert frame.locator("img").count() == 0
    assert page.title() != "pwned" and dialogs == []
    page.wait_for_timeout(200)
    page.locator("iframe.email-frame").screenshot(
        caret="initial", path=f"{SCREENSHOTS}/email_preview_order.png"
    )
