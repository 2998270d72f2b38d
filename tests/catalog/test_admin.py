import pytest
from django.urls import reverse

from catalog.models import SerialCode, StockMovement
from catalog.services import serial_codes_mark_delivered
from tests.factories import VariantFactory


def _variant_form(variant, **extra):
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "options": "{}",
        "price": "20.00",
        "cost_price": "8.00",
        "track_stock": "on",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_store_admin_receives_stock_through_the_ledger(store_admin_client):
    variant = VariantFactory(stock=3)
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    response = store_admin_client.post(
        url, _variant_form(variant, stock_change="25", stock_change_reason="receipt")
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.stock == 28
    movement = StockMovement.objects.get(variant=variant)
    assert (movement.delta, movement.reason, movement.stock_after) == (25, "receipt", 28)


@pytest.mark.django_db
def test_admin_cannot_take_stock_below_zero(store_admin_client):
    variant = VariantFactory(stock=3, price="20.00")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    response = store_admin_client.post(
        url, _variant_form(variant, price="99.00", stock_change="-5")
    )
    assert response.status_code == 200
    assert "Only 3 on hand: cannot remove 5." in response.content.decode()
    variant.refresh_from_db()
    assert variant.stock == 3
    assert str(variant.price) == "20.00"
    assert not StockMovement.objects.exists()


def _retired_codes():
    from catalog.services import serial_codes_allocate, serial_codes_retire

    variant = VariantFactory(hands_out_serial_codes=True)
    SerialCode.objects.bulk_create(SerialCode(variant=variant, code=f"K{i}") for i in range(2))
    never_sent, emailed = serial_codes_allocate(
        variant_id=variant.pk, quantity=2, reference="order:1"
    )
    serial_codes_mark_delivered(code_ids=[emailed.pk])
    serial_codes_retire(reference="order:1")
    return never_sent, emailed


def _return_action(client, *codes):
    return client.post(
        reverse("admin:catalog_serialcode_changelist"),
        {"action": "return_to_pool", "_selected_action": [c.pk for c in codes]},
        follow=True,
    )


@pytest.mark.django_db
def test_store_admin_returns_a_never_delivered_retired_code_but_not_an_emailed_one(
    store_admin_client, store_admin
):
    never_sent, emailed = _retired_codes()
    listing = store_admin_client.get(
        reverse("admin:catalog_serialcode_changelist") + "?status__exact=retired"
    ).content.decode()
    assert "K0" in listing and "K1" in listing and "Retired" in listing

    response = _return_action(store_admin_client, never_sent, emailed)

    text = response.content.decode()
    assert "Returned to the pool: K0." in text
    assert "Serial code K1 was sent to a buyer" in text
    never_sent.refresh_from_db()
    emailed.refresh_from_db()
    assert (never_sent.status, never_sent.returned_by) == (SerialCode.Status.AVAILABLE, store_admin)
    assert (emailed.status, emailed.allocation_reference) == (SerialCode.Status.RETIRED, "order:1")


@pytest.mark.django_db
def test_order_staff_cannot_return_a_code_to_the_pool(staff_client, staff_user):
    never_sent, _ = _retired_codes()
    response = staff_client.post(
        reverse("admin:catalog_serialcode_changelist"),
        {"action": "return_to_pool", "_selected_action": [never_sent.pk]},
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not staff_user.has_perm("catalog.return_serialcode")
    never_sent.refresh_from_db()
    assert never_sent.status == SerialCode.Status.RETIRED
