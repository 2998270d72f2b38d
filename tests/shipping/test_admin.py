from decimal import Decimal

import pytest
from django.urls import reverse

from shipping.models import Carrier, ShippingMethod

pytestmark = pytest.mark.django_db


def test_store_admin_opens_the_shipping_pages(store_admin_client):
    ups = Carrier.objects.get(code="ups")
    for url in [
        reverse("admin:shipping_carrier_changelist"),
        reverse("admin:shipping_carrier_add"),
        reverse("admin:shipping_carrier_change", args=[ups.pk]),
        reverse("admin:shipping_shippingmethod_changelist"),
        reverse("admin:shipping_shippingmethod_add"),
    ]:
        assert store_admin_client.get(url).status_code == 200, url


def test_store_admin_adds_a_courier_by_name(store_admin_client):
    response = store_admin_client.post(
        reverse("admin:shipping_carrier_add"),
        {
            "name": "Royal Mail",
            "code": "royal-mail",
            "tracking_url_template": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Carrier.objects.get(code="royal-mail").name == "Royal Mail"


def test_store_admin_edits_a_known_carriers_template_but_not_its_code(store_admin_client):
    ups = Carrier.objects.get(code="ups")
    template = "https://www.ups.com/track?loc=en_GB&tracknum={number}"
    response = store_admin_client.post(
        reverse("admin:shipping_carrier_change", args=[ups.pk]),
        {
            "name": "UPS",
            "code": "ups-renamed",
            "tracking_url_template": template,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    ups.refresh_from_db()
    assert (ups.code, ups.tracking_url_template) == ("ups", template)


def test_admin_form_refuses_a_template_without_number(store_admin_client):
    ups = Carrier.objects.get(code="ups")
    response = store_admin_client.post(
        reverse("admin:shipping_carrier_change", args=[ups.pk]),
        {"name": "UPS", "tracking_url_template": "https://www.ups.com/track", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "Put {number} where the tracking number goes" in response.content.decode()


def test_store_admin_adds_a_shipping_method(store_admin_client):
    response = store_admin_client.post(
        reverse("admin:shipping_shippingmethod_add"),
        {
            "name": "2-day",
            "carrier": Carrier.objects.get(code="fedex").pk,
            "speed": "2-day",
            "days_min": "2",
            "days_max": "2",
            "price": "12.50",
            "free_from_subtotal": "100.00",
            "is_active": "on",
            "position": "2",
        },
    )
    assert response.status_code == 302
    two_day = ShippingMethod.objects.get(name="2-day")
    assert (two_day.price, two_day.free_from_subtotal) == (Decimal("12.50"), Decimal("100.00"))


def test_order_staff_may_view_but_not_change_shipping_settings(staff_user):
    assert staff_user.has_perms(["shipping.view_carrier", "shipping.view_shippingmethod"])
    assert not staff_user.has_perm("shipping.change_carrier")
    assert not staff_user.has_perm("shipping.add_shippingmethod")


def test_store_admin_may_add_and_change_shipping_settings(store_admin):
    assert store_admin.has_perms(
        [
            f"shipping.{action}_{model}"
            for action in ("add", "change", "view")
            for model in ("carrier", "shippingmethod")
        ]
    )
