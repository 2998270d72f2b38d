"""The POs tab of the order page (seed 002 steps 9–13, 16)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import OutboxMessage
from orders.models import OrderStatus
from purchasing.models import PurchaseOrder
from shipping.models import Carrier
from tests.factories import OrderLineFactory, order_with_lines

from .conftest import email_vendor, supplied_line

pytestmark = pytest.mark.django_db
UPS_OK = "1Z999AA10123456784"
UPS_BAD = "1Z999AA10123456785"


@pytest.fixture
def order():
    """Paid: two lines from Acme (default), one also from Bolt, one with no vendor."""
    acme, bolt = email_vendor(name="Acme Supply"), email_vendor(name="Bolt Wholesale")
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    first = supplied_line(order, acme, quantity=2)
    first.product.vendor_links.create(vendor=bolt, cost="6.00", vendor_sku="B-1")
    supplied_line(order, acme)
    OrderLineFactory(order=order)  # its product has no vendor
    return order


def page(client, order):
    return client.get(order.get_absolute_url()).content.decode()


def create_url(order):
    return reverse("purchasing:po_create", kwargs={"number": order.number})


def test_each_line_shows_its_vendors_with_the_default_preselected(staff_client, order):
    html = page(staff_client, order)
    first, _second, bare = order.lines.order_by("pk")
    acme = first.product.vendor_links.get(is_default=True).vendor
    select = re.search(rf'<select name="vendor_{first.pk}".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{acme.pk}" selected>Acme Supply', select)
    assert "Bolt Wholesale" in select
    assert f'name="vendor_{bare.pk}"' not in html
    assert "No vendor for this product: ships from stock." in html
    assert "Create PO(s) &amp; Send" in html and "Create PO(s)</button>" in html


def test_an_unpaid_order_says_pos_are_for_paid_orders(staff_client):
    order = order_with_lines(lines=0, status=OrderStatus.PENDING)
    supplied_line(order, email_vendor())
    html = page(staff_client, order)
    assert "POs are for paid orders" in html
    assert "Create PO(s)" not in html


def test_create_and_send_with_one_line_moved_to_another_vendor(staff_client, order):
    first, second, _bare = order.lines.order_by("pk")
    bolt = first.product.vendor_links.get(is_default=False).vendor
    acme = second.product.vendor_links.get().vendor
    response = staff_client.post(
        create_url(order),
        {f"vendor_{first.pk}": bolt.pk, f"vendor_{second.pk}": acme.pk, "action": "send"},
    )
    assert response.status_code == 302
    pos = PurchaseOrder.objects.filter(order=order).order_by("vendor__name")
    assert [(po.vendor.name, po.status) for po in pos] == [
        ("Acme Supply", "sent"),
        ("Bolt Wholesale", "sent"),
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    assert OutboxMessage.objects.filter(order=order, kind="purchase_order").count() == 2
    html = page(staff_client, order)
    for po in pos:
        assert po.label in html
    assert "queued to" in html  # the timeline shows the queued POs


def test_create_only_leaves_drafts_to_send_later(staff_client, order):
    first = order.lines.order_by("pk").first()
    staff_client.post(
        create_url(order),
        {
            f"vendor_{first.pk}": first.product.vendor_links.get(is_default=True).vendor_id,
            "action": "create",
        },
    )
    po = PurchaseOrder.objects.get(order=order)
    assert po.status == "draft"
    response = staff_client.post(
        reverse("purchasing:po_send", kwargs={"number": order.number, "pk": po.pk})
    )
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == "sent"


def test_a_line_with_ship_from_stock_chosen_gets_no_po(staff_client, order):
    first, second, _ = order.lines.order_by("pk")
    acme = second.product.vendor_links.get().vendor
    staff_client.post(
        create_url(order),
        {f"vendor_{first.pk}": "", f"vendor_{second.pk}": acme.pk, "action": "create"},
    )
    assert list(
        PurchaseOrder.objects.get(order=order).lines.values_list("order_line_id", flat=True)
    ) == [second.pk]


def test_nothing_chosen_is_refused_with_the_reason(staff_client, order):
    lines = order.lines.order_by("pk")
    data = {f"vendor_{line.pk}": "" for line in lines} | {"action": "send"}
    response = staff_client.post(create_url(order), data)
    assert response.status_code == 200
    assert "Choose a vendor for at least one item." in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_entering_the_vendors_tracking_records_a_partial_shipment(staff_client, order):
    first = order.lines.order_by("pk").first()
    acme_id = first.product.vendor_links.get(is_default=True).vendor_id
    staff_client.post(create_url(order), {f"vendor_{first.pk}": acme_id, "action": "send"})
    po = PurchaseOrder.objects.get(order=order)
    po_line = po.lines.get()
    url = reverse("purchasing:po_ship", kwargs={"number": order.number, "pk": po.pk})
    ups = Carrier.objects.get(code="ups")
    refused = staff_client.post(
        url, {"carrier": ups.pk, "tracking_numbers": UPS_BAD, f"qty_{po_line.pk}": 1}
    )
    assert refused.status_code == 200
    assert "Record anyway, because…" in refused.content.decode()
    assert not order.shipments.exists()
    response = staff_client.post(
        url, {"carrier": ups.pk, "tracking_numbers": UPS_OK, f"qty_{po_line.pk}": 1}
    )
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == "partly_shipped"
    html = page(staff_client, order)
    assert UPS_OK in html and "Partly shipped" in html
    assert OutboxMessage.objects.filter(order=order, kind="shipped").exists()


def test_a_vendors_courier_typed_by_name_is_recorded_and_kept_for_next_time(staff_client, order):
    first = order.lines.order_by("pk").first()
    acme_id = first.product.vendor_links.get(is_default=True).vendor_id
    staff_client.post(create_url(order), {f"vendor_{first.pk}": acme_id, "action": "send"})
    po = PurchaseOrder.objects.get(order=order)
    po_line = po.lines.get()
    url = reverse("purchasing:po_ship", kwargs={"number": order.number, "pk": po.pk})
    missing = staff_client.post(url, {"carrier_name": "Corner Couriers", f"qty_{po_line.pk}": 1})
    assert "Enter the tracking number the vendor gave you." in missing.content.decode()
    response = staff_client.post(
        url,
        {
            "carrier_name": "  Corner   Couriers ",
            "tracking_numbers": "CC-1",
            f"qty_{po_line.pk}": 1,
        },
    )
    assert response.status_code == 302
    shipment = order.shipments.get()
    assert shipment.carrier.name == "Corner Couriers"
    assert Carrier.objects.filter(name__iexact="corner couriers").count() == 1


def test_the_page_with_pos_runs_the_same_queries_whatever_their_number(staff_client):
    def order_with_pos(count):
        vendor = email_vendor()
        order = order_with_lines(lines=0, status=OrderStatus.PAID)
        lines = [supplied_line(order, vendor) for _ in range(count)]
        for line in lines:
            po = PurchaseOrder.objects.create(order=order, vendor=vendor)
            po.lines.create(order_line=line, quantity=1, unit_cost=1, vendor_sku="X")
        return order

    small, large = order_with_pos(1), order_with_pos(12)
    page(staff_client, small)  # session and permissions cached
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(order.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_page_with_sent_pos_runs_the_same_queries_whatever_their_number(staff_client):
    """Each sent PO has a vendor-shipment form with a carrier list: read once for the page."""

    def order_with_sent_pos(count):
        vendor = email_vendor()
        order = order_with_lines(lines=0, status=OrderStatus.IN_PROCESS)
        for _ in range(count):
            po = PurchaseOrder.objects.create(
                order=order,
                vendor=vendor,
                status=PurchaseOrder.Status.SENT,
                sent_at=order.placed_at,
            )
            po.lines.create(
                order_line=supplied_line(order, vendor), quantity=1, unit_cost=1, vendor_sku="X"
            )
        return order

    small, large = order_with_sent_pos(1), order_with_sent_pos(6)
    page(staff_client, small)  # session and permissions cached
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            html = staff_client.get(order.get_absolute_url()).content.decode()
        counts.append(len(queries))
        assert html.count("Vendor&#x27;s carrier") + html.count("Vendor's carrier") >= 1
    assert counts[0] == counts[1]
