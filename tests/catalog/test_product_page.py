"""The product page: each variant's figures and each vendor, in a constant number of queries."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from catalog.selectors import product_detail
from tests.factories import ProductFactory, ProductVendorFactory, VariantFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _product(variants: int = 1):
    product = ProductFactory(name="Alpine Mug")
    for i in range(variants):
        VariantFactory(
            product=product,
            sku=f"MUG-{i}",
            options={"size": f"S{i}"},
            price=Decimal("20.00") + i,
            cost_price=Decimal("8.25"),
            stock=10 + i,
            units_sold=30 + i,
            backordered=i,
        )
    ProductVendorFactory(
        product=product,
        vendor=VendorFactory(name="Harbor Supply"),
        vendor_sku="HS-1",
        cost=Decimal("7.10"),
        is_default=True,
    )
    ProductVendorFactory(
        product=product, vendor=VendorFactory(name="Acme Goods"), vendor_sku="AC-9", cost="7.90"
    )
    return product


def _row(html: str, row_id: str) -> str:
    start = html.index(f'id="{row_id}"')
    return html[start : html.index("</tr>", start)]


def test_the_selector_reads_variants_and_vendors_default_first():
    product = _product(variants=2)
    read = product_detail(product_id=product.pk)
    assert [v.sku for v in read.variants.all()] == ["MUG-0", "MUG-1"]
    assert [(link.vendor.name, link.is_default) for link in read.vendor_links.all()] == [
        ("Harbor Supply", True),
        ("Acme Goods", False),
    ]


def test_the_page_shows_each_variants_figures(staff_client):
    product = _product(variants=2)
    html = staff_client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()
    assert "Alpine Mug" in html
    row = _row(html, "variant-MUG-1")
    for figure in ["MUG-1", "size: S1", "$21.00", "$8.25", ">11<", ">31<", ">1<"]:
        assert figure in row, figure
    row = _row(html, "variant-MUG-0")
    for figure in ["$20.00", ">10<", ">30<", ">0<"]:
        assert figure in row, figure


def test_the_page_shows_each_vendor_with_the_default_marked(staff_client):
    product = _product()
    html = staff_client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()
    default = _row(html, f"vendor-{product.vendor_links.get(is_default=True).vendor_id}")
    other = _row(html, f"vendor-{product.vendor_links.get(is_default=False).vendor_id}")
    assert "Harbor Supply" in default and "HS-1" in default and "$7.10" in default
    assert "Default" in default
    assert "Acme Goods" in other and "AC-9" in other and "$7.90" in other
    assert "Default" not in other


def test_a_product_without_vendors_or_variants_says_so(store_admin_client):
    product = ProductFactory()
    html = store_admin_client.get(
        reverse("catalog:product_detail", args=[product.pk])
    ).content.decode()
    assert "No variants" in html and "No vendors" in html


@pytest.mark.parametrize("variants", [1, 5])
def test_the_query_count_does_not_grow_with_variants(
    staff_client, django_assert_num_queries, variants
):
    product = _product(variants=variants)
    url = reverse("catalog:product_detail", args=[product.pk])
    staff_client.get(url)  # the session and the user's permissions, cached after the first
    # the user, the product, its variants, its vendor links with their vendors
    with django_assert_num_queries(4):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_an_unknown_product_is_not_found(staff_client):
    assert staff_client.get(reverse("catalog:product_detail", args=[999999])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client):
    product = ProductFactory()
    url = reverse("catalog:product_detail", args=[product.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
