"""Settings → Vendors (store admins) and the Purchase orders page."""

import pytest
from django.urls import reverse

from catalog.models import Vendor
from orders.actors import Actor
from orders.models import OrderStatus
from payments import crypto
from purchasing.models import PurchaseOrder
from purchasing.services import po_cancel, po_create_for_order
from tests.factories import order_with_lines

from .conftest import email_vendor, supplied_line

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")
SECRET = "hunter2-very-secret"


def sftp_data(**overrides):
    data = {
        "name": "Edison Distribution",
        "is_active": "on",
        "po_method": "edi",
        "edi_sender_qualifier": "ZZ",
        "edi_sender_id": "BACKOFFICE",
        "edi_receiver_qualifier": "01",
        "edi_receiver_id": "123456789",
        "edi_transport": "sftp",
        "edi_inbound_dir": "/in",
        "edi_outbound_dir": "/out",
        "sftp_host": "sftp.edison.example",
        "sftp_port": "22",
        "sftp_username": "store",
        "sftp_password": SECRET,
    }
    return {**data, **overrides}


def test_an_sftp_vendors_password_is_stored_encrypted_and_never_shown_back(store_admin_client):
    response = store_admin_client.post(reverse("purchasing:vendor_create"), sftp_data())
    vendor = Vendor.objects.get(name="Edison Distribution")
    assert response.status_code == 302
    assert SECRET not in vendor.sftp_secret
    assert crypto.decrypt(vendor.sftp_secret) == {"password": SECRET}
    page = store_admin_client.get(reverse("purchasing:vendor_edit", args=[vendor.pk]))
    assert SECRET not in page.content.decode()
    assert "An SFTP password or key is saved" in page.content.decode()
    # Saving again with the password left blank keeps it.
    store_admin_client.post(
        reverse("purchasing:vendor_edit", args=[vendor.pk]), sftp_data(sftp_password="")
    )
    vendor.refresh_from_db()
    assert crypto.decrypt(vendor.sftp_secret) == {"password": SECRET}


def test_method_specific_fields_are_required_with_a_message_naming_them(store_admin_client):
    response = store_admin_client.post(
        reverse("purchasing:vendor_create"),
        sftp_data(sftp_host="", sftp_password="", edi_sender_id=""),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "SFTP needs the host and the user." in html
    assert "Enter the SFTP password or a private key." in html
    assert "EDI needs the ISA sender and receiver ids." in html
    response = store_admin_client.post(
        reverse("purchasing:vendor_create"),
        {"name": "Mailer", "po_method": "email", "po_emails": ""},
    )
    assert "Enter the address POs go to" in response.content.decode()
    response = store_admin_client.post(
        reverse("purchasing:vendor_create"),
        {"name": "Mailer", "po_method": "email", "po_emails": "a@b.example, nope"},
    )
    assert "“nope” is not an email address." in response.content.decode()
    assert not Vendor.objects.exists()


def test_a_local_folder_outside_the_edi_root_is_refused(store_admin_client):
    response = store_admin_client.post(
        reverse("purchasing:vendor_create"),
        sftp_data(edi_transport="local", edi_inbound_dir="../../etc"),
    )
    assert "is outside the EDI folder" in response.content.decode()


def test_test_connection_says_what_failed(store_admin_client):
    store_admin_client.post(
        reverse("purchasing:vendor_create"), sftp_data(sftp_host="127.0.0.1", sftp_port="1")
    )
    vendor = Vendor.objects.get()
    response = store_admin_client.post(
        reverse("purchasing:vendor_test_connection", args=[vendor.pk]), follow=True
    )
    assert (
        "Connection test failed: Cannot reach the SFTP server 127.0.0.1:1"
        in response.content.decode()
    )


def test_a_new_host_forgets_the_pinned_key(store_admin_client):
    store_admin_client.post(reverse("purchasing:vendor_create"), sftp_data())
    vendor = Vendor.objects.get()
    Vendor.objects.filter(pk=vendor.pk).update(sftp_host_key="ssh-rsa AAAA")
    store_admin_client.post(
        reverse("purchasing:vendor_edit", args=[vendor.pk]), sftp_data(sftp_host="new.example")
    )
    vendor.refresh_from_db()
    assert vendor.sftp_host_key == ""


def test_the_purchase_orders_page_lists_filters_and_pages(staff_client, settings):
    vendor = email_vendor(name="Acme Supply")
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    lines = [supplied_line(order, vendor, quantity=2) for _ in range(3)]
    sent = po_create_for_order(
        order_id=order.pk, choices={lines[0].pk: vendor.pk}, send=True, actor=ACTOR
    )[0]
    draft = po_create_for_order(order_id=order.pk, choices={lines[1].pk: vendor.pk}, actor=ACTOR)[0]
    cancelled = po_create_for_order(
        order_id=order.pk, choices={lines[2].pk: vendor.pk}, actor=ACTOR
    )[0]
    po_cancel(purchase_order_id=cancelled.pk, actor=ACTOR)
    url = reverse("purchasing:list")
    html = staff_client.get(url).content.decode()

    def row(po):
        return f'id="po-{po.number}"'

    for po in (sent, draft, cancelled):
        assert row(po) in html
    assert "2 units" in html  # what the sent PO's vendor still owes
    owed = staff_client.get(url, {"owed": "true"}).content.decode()
    assert row(sent) in owed and row(draft) not in owed
    by_status = staff_client.get(url, {"status": "draft"}).content.decode()
    assert row(draft) in by_status and row(sent) not in by_status
    found = staff_client.get(url, {"q": sent.label}).content.decode()
    assert row(sent) in found and row(draft) not in found
    by_order = staff_client.get(url, {"q": f"#{order.number}"}).content.decode()
    assert all(row(po) in by_order for po in (sent, draft, cancelled))
    assert PurchaseOrder.objects.count() == 3


def test_the_purchase_orders_page_is_one_query_page_whatever_the_page(
    staff_client, django_assert_max_num_queries, monkeypatch
):
    from purchasing import selectors

    monkeypatch.setattr(selectors, "PER_PAGE", 2)
    vendor = email_vendor()
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    for _ in range(5):
        line = supplied_line(order, vendor)
        po_create_for_order(order_id=order.pk, choices={line.pk: vendor.pk}, actor=ACTOR)
    first = staff_client.get(reverse("purchasing:list"))
    next_link = first.context["page"].next_cursor
    assert next_link
    second = staff_client.get(reverse("purchasing:list"), {"after": next_link})
    labels = [po.label for po in first.context["page"].rows + second.context["page"].rows]
    assert len(set(labels)) == 4
