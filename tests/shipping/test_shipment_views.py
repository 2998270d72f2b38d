import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from orders.models import OrderStatus
from shipping.models import Carrier, Shipment
from tests.factories import OrderLineFactory, UserFactory, order_with_lines

pytestmark = pytest.mark.django_db
UPS_OK = "1Z999AA10123456784"
UPS_BAD = "1Z999AA10123456785"


def viewer_only():
    """A user who may look at orders and do nothing else."""
    user = UserFactory()
    user.save()  # the factory leaves the password unsaved
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    return user


def record_url(order):
    return reverse("shipping:shipment_record", args=[order.number])


def form_data(order, numbers=UPS_OK, **extra):
    data = {
        "carrier": Carrier.objects.get(code="ups").pk,
        "tracking_numbers": numbers,
        "shipped_on": "2024-05-01",
    }
    data.update({f"qty_{line.pk}": line.quantity for line in order.lines.all()})
    data.update(extra)
    return data


def test_the_order_page_shows_the_shipping_panel_with_the_form(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = staff_client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert 'id="order-shipping"' in html
    assert "Record shipment" in html and "Flag as sent" in html


def test_staff_record_a_shipment_and_see_the_tracking_link(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(record_url(order), form_data(order), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    html = response.content.decode()
    assert f"https://www.ups.com/track?tracknum={UPS_OK}" in html


def test_a_failing_number_comes_back_with_the_reason_field_then_records(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = staff_client.post(record_url(order), form_data(order, UPS_BAD)).content.decode()
    assert "check digit should be 4, not 5" in html
    assert 'name="override_reason"' in html
    assert not Shipment.objects.exists()
    staff_client.post(record_url(order), form_data(order, UPS_BAD, override_reason="Label"))
    assert Shipment.objects.get().tracking_numbers.get().override_reason == "Label"


def test_htmx_record_swaps_the_order(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(record_url(order), form_data(order), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="order-detail"' in html


def test_flag_as_sent_view(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    line = order.lines.get()
    response = staff_client.post(
        reverse("shipping:lines_sent", args=[order.number]), {"line": line.pk}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.fulfilment_status == "fulfilled"


def test_tracking_edit_view(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    staff_client.post(record_url(order), form_data(order, UPS_BAD, override_reason="x"))
    tracking = Shipment.objects.get().tracking_numbers.get()
    url = reverse("shipping:tracking_edit", args=[order.number, tracking.pk])
    assert staff_client.post(url, {"number": UPS_OK}).status_code == 302
    tracking.refresh_from_db()
    assert tracking.number == UPS_OK


def test_tracking_edit_of_another_order_is_404(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    other = order_with_lines(lines=1, status=OrderStatus.PAID)
    staff_client.post(record_url(order), form_data(order))
    tracking = Shipment.objects.get().tracking_numbers.get()
    url = reverse("shipping:tracking_edit", args=[other.number, tracking.pk])
    assert staff_client.post(url, {"number": UPS_OK}).status_code == 404


@pytest.mark.parametrize("name", ["shipment_record", "lines_sent"])
def test_users_without_the_permission_are_refused(client, name):
    client.force_login(viewer_only())
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = client.post(reverse(f"shipping:{name}", args=[order.number]), {})
    assert response.status_code == 403
    assert not Shipment.objects.exists()


def test_tracking_edit_needs_the_permission(client):
    client.force_login(viewer_only())
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    url = reverse("shipping:tracking_edit", args=[order.number, 1])
    assert client.post(url, {"number": UPS_OK}).status_code == 403


def test_get_is_not_allowed(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    assert staff_client.get(record_url(order)).status_code == 405


def test_still_to_send_counts_what_remains_of_a_partly_sent_line(staff_client):
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    line = OrderLineFactory(order=order, quantity=3)
    staff_client.post(record_url(order), form_data(order, **{f"qty_{line.pk}": 1}))
    html = staff_client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "2 of 3 ×" in html and "(1 sent)" in html


def test_staff_record_a_shipment_with_a_courier_typed_by_name(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    data = form_data(order, "LOCAL-77", carrier="", carrier_name="Corner Couriers")
    staff_client.post(record_url(order), data)
    shipment = Shipment.objects.get()
    assert shipment.carrier.name == "Corner Couriers"
    # Next time it is in the list.
    another = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = staff_client.get(reverse("orders:detail", args=[another.number])).content.decode()
    assert f'<option value="{shipment.carrier.pk}">Corner Couriers</option>' in html


@pytest.mark.parametrize(
    ("carrier", "name", "error"),
    [
        ("ups", "Corner Couriers", "not both"),
        ("", "", "or type its name"),
    ],
)
def test_a_courier_chosen_and_typed_or_neither_is_refused(staff_client, carrier, name, error):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    pk = Carrier.objects.get(code="ups").pk if carrier else ""
    data = form_data(order, carrier=pk, carrier_name=name)
    html = staff_client.post(record_url(order), data).content.decode()
    assert error in html
    assert not Shipment.objects.exists()
    assert not Carrier.objects.filter(name="Corner Couriers").exists()
