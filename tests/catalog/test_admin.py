import pytest
from django.urls import reverse

from catalog.models import StockMovement
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
