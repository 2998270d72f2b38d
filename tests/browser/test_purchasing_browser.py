"""Seed 002 steps 8–16 in Chromium: on a paid order's Purchase orders panel the default vendor
is preselected, staff move one line to another vendor, Create PO(s) & Send, see the POs under
the buttons, enter a vendor's tracking against a PO line, and see the shipment and the queued
emails in the timeline, all without a page reload."""

import pytest

from notifications import tasks
from orders.models import OrderStatus
from purchasing.models import PurchaseOrder
from tests.factories import UserFactory, order_with_lines
from tests.purchasing.conftest import email_vendor, supplied_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
UPS_OK = "1Z999AA10123456784"


@pytest.fixture(autouse=True)
def handed(monkeypatch):
    """Deliveries handed to the broker, kept here (no worker in this test)."""
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    return queued


def test_staff_drop_ship_an_order_to_two_vendors(page, login, live_server, handed):
    UserFactory(role="staff", username="clerk")
    acme = email_vendor(name="Acme Supply", po_emails=["orders@acme.example"])
    bolt = email_vendor(name="Bolt Wholesale", po_emails=["po@bolt.example"])
    order = order_with_lines(lines=0, status=OrderStatus.PAID, customer_email="kim@example.com")
    mug = supplied_line(order, acme, quantity=2, sku="ACME-MUG")
    mug.product.vendor_links.create(vendor=bolt, cost="6.00", vendor_sku="BOLT-MUG")
    lamp = supplied_line(order, acme, sku="ACME-LAMP")
    login("clerk", "pass-word-123", next_path=order.get_absolute_url())
    page.evaluate("window.__sameDocument = true")  # a full page load would lose it

    panel = page.locator("#purchase-orders")
    mug_vendor = panel.get_by_label(f"Vendor for {mug.sku}")
    assert mug_vendor.input_value() == str(acme.pk)  # the default vendor, preselected
    assert panel.get_by_label(f"Vendor for {lamp.sku}").input_value() == str(acme.pk)
    mug_vendor.select_option(label="Bolt Wholesale — 6.00")
    panel.get_by_role("button", name="Create PO(s) & Send").click()

    panel.locator(".po-item", has_text="Bolt Wholesale").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    assert panel.locator(".po-item").count() == 2
    assert panel.locator(".po-item", has_text="Acme Supply").get_by_text("Sent").is_visible()
    timeline = page.locator("#order-timeline")
    bolt_po = PurchaseOrder.objects.get(vendor=bolt)
    timeline.get_by_text(f"Purchase order {bolt_po.label} queued to po@bolt.example").wait_for()

    # Step 16: the vendor's tracking number, for one of the two mugs.
    item = panel.locator(".po-item", has_text="Bolt Wholesale")
    item.get_by_text("Enter the vendor's tracking").click()
    item.get_by_label("Vendor's carrier").select_option(label="UPS")
    item.get_by_label("Tracking numbers").fill(UPS_OK)
    item.locator(".ship-qty input[type=number]").fill("1")
    item.get_by_role("button", name="Record vendor shipment").click()

    panel.locator(".po-item", has_text="Bolt Wholesale").get_by_text("Partly shipped").wait_for()
    page.locator("#order-shipping .ship-numbers a", has_text=UPS_OK).wait_for()
    timeline.get_by_text("Shipped email queued to kim@example.com").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    assert len(handed) == 3  # two POs and the customer's shipped email
