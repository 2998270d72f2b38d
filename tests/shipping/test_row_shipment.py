"""Seed 004's Shipped from the order list: the row's status menu offers *Mark shipped…*, which
asks in place for the courier and tracking numbers and records a real shipment of everything
left to send (shipping registers the form with orders.moves; orders never imports shipping)."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from orders.models import OrderStatus
from shipping.models import Carrier, Shipment
from tests.factories import OrderLineFactory, UserFactory, order_with_lines

pytestmark = pytest.mark.django_db
LIST = reverse("orders:list")
UPS_OK = "1Z999AA10123456784"
UPS_BAD = "1Z999AA10123456785"
HTMX = {"HTTP_HX_REQUEST": "true"}


def status_url(order) -> str:
    return reverse("orders:status_change", args=[order.number])


def in_row_url(order) -> str:
    return reverse("shipping:shipment_record_in_row", args=[order.number])


def ups() -> int:
    return Carrier.objects.get(code="ups").pk


def open_form(client, order) -> str:
    response = client.post(
        status_url(order), {"to": "shipped", "partial": "row", "next": LIST}, **HTMX
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_row_offers_mark_shipped_only_where_it_can_ship(staff_client):
    paid = order_with_lines(lines=1, status=OrderStatus.PAID)
    pending = order_with_lines(lines=1)
    digital = order_with_lines(lines=0, status=OrderStatus.PAID)
    html = staff_client.get(LIST).content.decode()

    def menu(order):
        row = re.search(rf'<tr id="order-{order.number}".*?</tr>', html, re.S)[0]
        return re.findall(r'<option value="(\w+)"', row)

    assert "shipped" in menu(paid)
    assert "shipped" not in menu(pending) and "shipped" not in menu(digital)
    assert ">Mark shipped…</option>" in html


def test_choosing_mark_shipped_opens_the_form_under_the_row(staff_client):
    order = order_with_lines(lines=2, status=OrderStatus.PAID)
    html = open_form(staff_client, order)
    assert html.lstrip().startswith(f'<tr id="order-{order.number}"')
    # The row waits for the form: no second status menu while it is open.
    row = re.search(rf'<tr id="order-{order.number}".*?</tr>', html, re.S)[0]
    assert 'name="to"' not in row and "Fill in the form below" in row
    form_row = re.search(rf'<tr id="order-{order.number}-form".*?</tr>', html, re.S)[0]
    assert 'colspan="9"' in form_row
    assert f'hx-post="{in_row_url(order)}"' in form_row
    assert 'name="carrier"' in form_row and 'name="tracking_numbers"' in form_row
    assert 'name="override_reason"' not in form_row
    skus = [line.sku for line in order.lines.order_by("id")]
    assert f"Sends everything left to send: 1 × {skus[0]}, 1 × {skus[1]}." in form_row
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # opening the form changes nothing


def test_a_good_number_ships_everything_left_and_puts_the_row_back(staff_client):
    order = order_with_lines(lines=2, status=OrderStatus.PAID)
    first, second = order.lines.order_by("id")
    first.quantity_fulfilled = 1  # sent earlier from the order page
    first.save()
    response = staff_client.post(
        in_row_url(order),
        {"carrier": ups(), "tracking_numbers": f"{UPS_OK}, 1Z5R89390357567127"},
        **HTMX,
    )
    html = response.content.decode()
    assert response["HX-Retarget"] == f"#order-{order.number}"
    assert html.lstrip().startswith(f'<tr id="order-{order.number}" class="row-changed"')
    assert 'class="badge status-shipped">Shipped<' in html
    assert f'<tr id="order-{order.number}-form" hx-swap-oob="delete">' in html
    assert (
        f"Order #{order.number} is shipped by UPS, tracking {UPS_OK}, 1Z5R89390357567127." in html
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    shipment = Shipment.objects.get(order=order)
    assert {tn.number for tn in shipment.tracking_numbers.all()} == {
        UPS_OK,
        "1Z5R89390357567127",
    }
    # Only what was left: the second line whole; the first was sent already.
    assert sorted(shipment.lines.values_list("order_line_id", "quantity")) == [(second.pk, 1)]


def test_a_bad_number_is_refused_with_the_carriers_message_then_recorded_with_a_reason(
    staff_client,
):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(
        in_row_url(order), {"carrier": ups(), "tracking_numbers": UPS_BAD}, **HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<form class="inline-ship"')
    assert "This is not a valid UPS tracking number: the check digit should be 4, not 5." in html
    assert 'name="override_reason"' in html
    assert f'value="{UPS_BAD}"' in html  # what was typed stays
    assert not Shipment.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    response = staff_client.post(
        in_row_url(order),
        {"carrier": ups(), "tracking_numbers": UPS_BAD, "override_reason": "Label says so"},
        **HTMX,
    )
    assert 'class="badge status-shipped">Shipped<' in response.content.decode()
    tracking = Shipment.objects.get(order=order).tracking_numbers.get()
    assert (tracking.number, tracking.override_reason) == (UPS_BAD, "Label says so")


def test_a_missing_courier_or_number_is_said_in_the_form(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = staff_client.post(in_row_url(order), {"tracking_numbers": " "}, **HTMX).content.decode()
    assert "Choose the carrier or courier that took the shipment, or type its name." in html
    assert "Enter the tracking number the courier gave you." in html
    assert not Shipment.objects.exists()


def test_an_order_that_can_no_longer_ship_is_refused_in_the_form(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    open_form(staff_client, order)
    order.status = OrderStatus.CANCELLED  # cancelled meanwhile, in another tab
    order.save()
    html = staff_client.post(
        in_row_url(order), {"carrier": ups(), "tracking_numbers": UPS_OK}, **HTMX
    ).content.decode()
    assert f"Order #{order.number} is Cancelled: only paid or in-process orders ship." in html
    assert not Shipment.objects.exists()


def test_cancel_puts_the_row_back_with_its_menu(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    open_form(staff_client, order)
    response = staff_client.get(reverse("orders:row", args=[order.number]), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="order-{order.number}"')
    assert ">Mark shipped…</option>" in html
    assert f'<tr id="order-{order.number}-form" hx-swap-oob="delete">' in html


def test_without_javascript_mark_shipped_leads_to_the_order_pages_form(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(status_url(order), {"to": "shipped", "next": LIST})
    assert response["Location"] == reverse("orders:detail", args=[order.number]) + "#order-shipping"


def test_someone_who_may_not_ship_is_neither_offered_it_nor_let_in(client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    user = UserFactory()
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_order", "change_order_status"])
    )
    client.force_login(user)
    html = client.get(LIST).content.decode()
    assert "Mark shipped" not in html and "Cancel" in html
    response = client.post(in_row_url(order), {"carrier": ups(), "tracking_numbers": UPS_OK})
    assert response.status_code == 403
    # Choosing Shipped anyway is the status form's refusal, not shipping's form.
    response = client.post(status_url(order), {"to": "shipped", "next": LIST}, follow=True)
    assert any("courier and tracking number" in str(m) for m in response.context["messages"])
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_line_that_does_not_ship_is_left_out(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    OrderLineFactory(order=order, is_shippable=False, sku="EBOOK")
    staff_client.post(in_row_url(order), {"carrier": ups(), "tracking_numbers": UPS_OK}, **HTMX)
    skus = Shipment.objects.get(order=order).lines.values_list("order_line__sku", flat=True)
    assert "EBOOK" not in skus


def test_mark_shipped_on_a_row_that_cannot_ship_yet_says_what_would_allow_it(staff_client):
    pending = order_with_lines(lines=1)
    response = staff_client.post(
        status_url(pending), {"to": "shipped", "partial": "row", "next": LIST}, **HTMX
    )
    assert (
        f"Order #{pending.number} was not changed: Pending cannot become Shipped:"
        " the order must be paid first (charge it or record an offline payment)."
    ) in unescape(response.content.decode())
    assert not Shipment.objects.filter(order=pending).exists()


def test_the_row_form_takes_a_courier_typed_by_name(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    assert 'name="carrier_name"' in open_form(staff_client, order)
    response = staff_client.post(
        in_row_url(order),
        {"carrier": "", "carrier_name": "Bike Messenger Co", "tracking_numbers": "BM-9"},
        **HTMX,
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert Shipment.objects.get(order=order).carrier.name == "Bike Messenger Co"
    assert f"Order #{order.number} is shipped by Bike Messenger Co, tracking BM-9." in unescape(
        response.content.decode()
    )
