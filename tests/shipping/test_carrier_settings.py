"""Settings → Carriers: store admins manage carriers (name, tracking link, number check,
active) in the back office; order staff may not."""

import pytest
from django.urls import reverse

from shipping.models import Carrier

pytestmark = pytest.mark.django_db
LIST = reverse("shipping:carrier_list")
NEW = reverse("shipping:carrier_create")


def edit_url(carrier) -> str:
    return reverse("shipping:carrier_edit", kwargs={"pk": carrier.pk})


def test_admins_see_every_carrier_with_its_link_and_check(store_admin_client):
    Carrier.objects.create(name="Corner Couriers", code="corner-couriers", is_active=False)
    html = store_admin_client.get(LIST).content.decode()
    ups = Carrier.objects.get(code="ups")
    assert f'<a href="{edit_url(ups)}">UPS</a>' in html
    assert "UPS&#x27;s format" in html and "https://www.ups.com/track?tracknum={number}" in html
    assert "None: any reference" in html and "No link" in html and "Inactive" in html
    assert f'href="{NEW}"' in html
    assert 'href="/settings/carriers/" aria-current="page">Carriers</a>' in html


def test_an_admin_adds_a_carrier_with_its_link_and_check(store_admin_client):
    response = store_admin_client.post(
        NEW,
        {
            "name": "Royal Mail",
            "tracking_url_template": "https://www.royalmail.com/track?n={number}",
            "number_check": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST
    carrier = Carrier.objects.get(name="Royal Mail")
    assert (carrier.code, carrier.is_active, carrier.number_check) == ("royal-mail", True, "")
    assert carrier.tracking_url("AB 1") == "https://www.royalmail.com/track?n=AB%201"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"name": "Royal Mail", "tracking_url_template": "https://www.royalmail.com/track"},
            "Put {number} where the tracking number goes",
        ),
        (
            {"name": "Royal Mail", "tracking_url_template": "javascript:alert({number})"},
            "Enter a web address starting with https://",
        ),
        ({"name": "ups"}, "There is already a carrier named “ups”."),
        ({"name": "   "}, "This field is required."),
        ({"name": "Royal Mail", "number_check": "royal"}, "Select a valid choice."),
    ],
)
def test_a_bad_carrier_is_refused_with_why_and_nothing_saved(store_admin_client, data, error):
    before = Carrier.objects.count()
    response = store_admin_client.post(NEW, data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Carrier.objects.count() == before


def test_an_admin_switches_a_check_on_and_a_carrier_off(store_admin_client):
    carrier = Carrier.objects.create(name="Corner Couriers", code="corner-couriers")
    response = store_admin_client.post(
        edit_url(carrier), {"name": "Corner Couriers", "number_check": "dhl"}
    )
    assert response.status_code == 302
    carrier.refresh_from_db()
    assert (carrier.number_check, carrier.is_active, carrier.is_known) == ("dhl", False, True)


def test_renaming_onto_another_carriers_name_is_refused(store_admin_client):
    carrier = Carrier.objects.create(name="Corner Couriers", code="corner-couriers")
    response = store_admin_client.post(edit_url(carrier), {"name": "FEDEX", "is_active": "on"})
    assert "There is already a carrier named “FEDEX”." in response.content.decode()
    carrier.refresh_from_db()
    assert carrier.name == "Corner Couriers"


def test_order_staff_may_not_manage_carriers(staff_client):
    ups = Carrier.objects.get(code="ups")
    assert staff_client.get(LIST).status_code == 403
    assert staff_client.post(NEW, {"name": "Sneaky"}).status_code == 403
    assert staff_client.post(edit_url(ups), {"name": "Sneaky"}).status_code == 403
    assert not Carrier.objects.filter(name="Sneaky").exists()
    assert "Carriers</a>" not in staff_client.get(reverse("orders:list")).content.decode()
