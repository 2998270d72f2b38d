"""Settings → Promotions, Tax rates and Shipping speeds pages."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from promotions.models import CodeUse, Promotion, PromotionItem, TaxRate, TaxSettings
from promotions.pricing import COMBINATION_RULES
from promotions.services import code_uses_redeem
from shipping.models import ShippingMethod
from tests.factories import ProfileFactory, VariantFactory, order_with_lines

from .factories import PromotionFactory, PromotionItemFactory, TaxRateFactory

pytestmark = pytest.mark.django_db

ORDER_CODE = {"name": "Ten off", "code": "SAVE10", "discount_type": "percent", "amount": "10"}


def test_the_promotions_list_shows_every_kind_its_state_and_the_combination_rules(
    store_admin_client, django_assert_max_num_queries
):
    PromotionFactory(code="SAVE10", minimum_subtotal=D("50"))
    PromotionFactory(kind=Promotion.Kind.FREE_SHIPPING, code="FREESHIP", is_active=False)
    PromotionItemFactory(promotion__name="Gift set")
    for n in range(20):
        PromotionFactory(code=f"BULK{n}", usage_limit=1, uses=1)
    with django_assert_max_num_queries(8):
        response = store_admin_client.get(reverse("promotions:list"))
    html = response.content.decode()
    assert "SAVE10" in html and "10% off, from $50.00" in html
    assert "Switched off" in html and "Used up" in html and "Gift set" in html
    assert COMBINATION_RULES[0] in html
    assert reverse("promotions:create", args=["item_code"]) in html


def test_the_promotions_list_filters_by_state_and_code(store_admin_client):
    PromotionFactory(code="SAVE10")
    PromotionFactory(code="OLD", is_active=False)
    response = store_admin_client.get(reverse("promotions:list"), {"state": "off"})
    assert "OLD" in response.content.decode() and "SAVE10" not in response.content.decode()
    response = store_admin_client.get(reverse("promotions:list"), {"q": "sav"})
    assert "SAVE10" in response.content.decode() and ">OLD<" not in response.content.decode()


def test_the_promotions_list_pages_by_keyset(store_admin_client):
    PromotionFactory.create_batch(55)
    first = store_admin_client.get(reverse("promotions:list"))
    assert first.context["page"].next_cursor
    second = store_admin_client.get(
        reverse("promotions:list"), {"after": first.context["page"].next_cursor}
    )
    assert len(second.context["page"].rows) == 5


def test_order_staff_see_promotions_without_edit_links(staff_client):
    promotion = PromotionFactory(code="SAVE10")
    html = staff_client.get(reverse("promotions:list")).content.decode()
    assert "SAVE10" in html
    assert f'href="{reverse("promotions:edit", args=[promotion.pk])}"' not in html
    assert reverse("promotions:create", args=["order_code"]) not in html


def test_an_admin_creates_an_order_code_with_a_minimum_and_limits(store_admin_client):
    data = {**ORDER_CODE, "minimum_subtotal": "50", "usage_limit": "100", "is_active": "on"}
    data["per_customer_limit"] = "1"
    response = store_admin_client.post(reverse("promotions:create", args=["order_code"]), data)
    assert response.status_code == 302
    saved = Promotion.objects.get()
    assert (saved.kind, saved.code, saved.amount) == ("order_code", "SAVE10", D("10"))
    assert (saved.minimum_subtotal, saved.usage_limit, saved.per_customer_limit) == (
        D("50"),
        100,
        1,
    )


def test_an_item_code_targets_whole_products_and_single_variants_by_sku(store_admin_client):
    mug, shirt = VariantFactory(sku="MUG-1"), VariantFactory(sku="TEE-M")
    data = {"name": "Mugs", "code": "mug20", "discount_type": "fixed", "amount": "2.50"}
    data.update(product_skus="MUG-1", variant_skus="TEE-M", is_active="on")
    response = store_admin_client.post(reverse("promotions:create", args=["item_code"]), data)
    assert response.status_code == 302
    saved = Promotion.objects.get()
    assert list(saved.products.all()) == [mug.product]
    assert list(saved.variants.all()) == [shirt]
    page = store_admin_client.get(reverse("promotions:edit", args=[saved.pk])).content.decode()
    assert "MUG-1" in page and "TEE-M" in page


def test_a_product_promotion_is_saved_with_its_items(store_admin_client):
    gift = VariantFactory(sku="GIFT-BOX", price=D("12.00"))
    data = {"name": "Gift set", "code": "", "is_active": "on"}
    data.update(
        {
            "items-TOTAL_FORMS": "3",
            "items-INITIAL_FORMS": "0",
            "items-0-sku": "GIFT-BOX",
            "items-0-quantity": "2",
            "items-0-unit_discount": "12.00",
        }
    )
    response = store_admin_client.post(reverse("promotions:create", args=["product"]), data)
    assert response.status_code == 302
    item = PromotionItem.objects.get()
    assert (item.variant, item.quantity, item.unit_discount) == (gift, 2, D("12.00"))


@pytest.mark.parametrize(
    ("kind", "changes", "field", "says"),
    [
        ("order_code", {"amount": "-5"}, "amount", "greater than 0"),
        ("order_code", {"amount": "0"}, "amount", "greater than 0"),
        ("order_code", {"amount": "120"}, "amount", "cannot be more than 100"),
        ("order_code", {"code": "x"}, "code", "3 to 40 letters"),
        ("order_code", {"code": ""}, "code", "required"),
        ("order_code", {"code": "save10"}, "code", "already uses the code"),
        (
            "order_code",
            {"starts_at": "2026-06-02T10:00", "ends_at": "2026-06-01T10:00"},
            "ends_at",
            "after the start",
        ),
        ("order_code", {"minimum_subtotal": "-1"}, "minimum_subtotal", "greater than or equal"),
        ("order_code", {"usage_limit": "0"}, "usage_limit", "greater than or equal to 1"),
        ("item_code", {}, "product_skus", "Choose the products or variants"),
        ("item_code", {"variant_skus": "NOPE-1"}, "variant_skus", "No variant has the SKU NOPE-1"),
    ],
)
def test_bad_promotion_input_names_the_field_and_writes_nothing(
    store_admin_client, kind, changes, field, says
):
    PromotionFactory(code="SAVE10")
    before = Promotion.objects.count()
    data = {**ORDER_CODE, "code": "NEWCODE", **changes}
    response = store_admin_client.post(reverse("promotions:create", args=[kind]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert says in " ".join(errors[field]), errors
    assert Promotion.objects.count() == before


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ({"items-0-sku": "NOPE", "items-0-quantity": "1"}, "No variant has the SKU NOPE"),
        ({"items-0-sku": "GIFT", "items-0-quantity": "1", "items-0-unit_discount": "99"}, "more"),
        ({}, "Add at least one item"),
        (
            {
                "items-0-sku": "GIFT",
                "items-0-quantity": "1",
                "items-1-sku": "GIFT",
                "items-1-quantity": "1",
            },
            "listed twice",
        ),
    ],
)
def test_bad_product_promotion_items_are_refused_and_nothing_is_written(
    store_admin_client, row, says
):
    VariantFactory(sku="GIFT", price=D("10.00"))
    data = {"name": "Gift", "code": "", "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0"}
    response = store_admin_client.post(
        reverse("promotions:create", args=["product"]), {**data, **row}
    )
    assert response.status_code == 200
    assert says in " ".join(response.context["items"].non_form_errors())
    assert not Promotion.objects.exists() and not PromotionItem.objects.exists()


def test_a_limit_below_the_uses_already_counted_is_refused(store_admin_client):
    promotion = PromotionFactory(code="SAVE10", uses=3, usage_limit=10)
    data = {**ORDER_CODE, "usage_limit": "2"}
    response = store_admin_client.post(reverse("promotions:edit", args=[promotion.pk]), data)
    assert "used 3 times already" in " ".join(response.context["form"].errors["usage_limit"])
    promotion.refresh_from_db()
    assert promotion.usage_limit == 10


def test_editing_keeps_the_uses_counter(store_admin_client):
    promotion = PromotionFactory(code="SAVE10", uses=3, usage_limit=10)
    data = {**ORDER_CODE, "name": "Renamed", "usage_limit": "10"}
    store_admin_client.post(reverse("promotions:edit", args=[promotion.pk]), data)
    promotion.refresh_from_db()
    assert (promotion.name, promotion.uses) == ("Renamed", 3)


def test_switching_off_refuses_the_code_from_now_on(store_admin_client):
    promotion = PromotionFactory(code="SAVE10")
    store_admin_client.post(reverse("promotions:deactivate", args=[promotion.pk]))
    promotion.refresh_from_db()
    assert not promotion.is_active


def test_a_promotions_uses_list_its_orders_and_customers(
    staff_client, django_assert_max_num_queries
):
    promotion = PromotionFactory(code="SAVE10")
    profile = ProfileFactory(first_name="Ada", last_name="Lovelace")
    for n in range(10):
        code_uses_redeem(code_ids=[promotion.pk], customer_id=profile.pk, order_id=900 + n)
    CodeUse.objects.filter(order_id=900).update(released_at=timezone.now())
    with django_assert_max_num_queries(7):
        response = staff_client.get(reverse("promotions:uses", args=[promotion.pk]))
    html = response.content.decode()
    assert html.count("Ada Lovelace") == 10
    assert "row-muted" in html


def test_an_admin_adds_edits_and_deletes_tax_rates(store_admin_client):
    url = reverse("promotions:tax_rate_create")
    data = {"country": "us", "region": " CA ", "rate": "7.25", "name": "CA sales tax"}
    assert store_admin_client.post(url, data).status_code == 302
    rate = TaxRate.objects.get()
    assert (rate.country, rate.region, rate.rate) == ("US", "CA", D("7.25"))
    edit = reverse("promotions:tax_rate_edit", args=[rate.pk])
    store_admin_client.post(edit, {**data, "rate": "8"})
    rate.refresh_from_db()
    assert rate.rate == D("8")
    store_admin_client.post(reverse("promotions:tax_rate_delete", args=[rate.pk]))
    assert not TaxRate.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"region": "ca"}, "region", "already a rate for US, region ca"),
        ({"country": "USA"}, "country", "at most 2 characters"),
        ({"country": "1A"}, "country", "two-letter"),
        ({"rate": "101"}, "rate", "less than or equal to 100"),
        ({"rate": "-1"}, "rate", "greater than or equal to 0"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_tax_rates_name_the_field_and_write_nothing(store_admin_client, changes, field, says):
    TaxRateFactory(country="US", region="CA")
    data = {"country": "US", "region": "NY", "rate": "4", "name": "NY", **changes}
    response = store_admin_client.post(reverse("promotions:tax_rate_create"), data)
    assert says in " ".join(response.context["form"].errors[field])
    assert TaxRate.objects.count() == 1


def test_the_tax_rates_page_lists_rates_and_sets_whether_shipping_is_taxed(
    store_admin_client, django_assert_max_num_queries
):
    TaxRateFactory(country="US", region="", rate=D("5"))
    TaxRateFactory(country="US", region="CA", rate=D("7.25"))
    with django_assert_max_num_queries(7):
        html = store_admin_client.get(reverse("promotions:tax_rate_list")).content.decode()
    assert "Whole country" in html and "7.25%" in html
    store_admin_client.post(reverse("promotions:tax_settings"), {"tax_shipping": "on"})
    assert TaxSettings.load().tax_shipping
    store_admin_client.post(reverse("promotions:tax_settings"), {})
    assert not TaxSettings.load().tax_shipping


def test_an_admin_adds_and_edits_shipping_speeds(store_admin_client, django_assert_max_num_queries):
    data = {"name": "Overnight", "speed": "Next day", "price": "19.00", "position": "1"}
    response = store_admin_client.post(reverse("shipping:shipping_method_create"), data)
    assert response.status_code == 302
    method = ShippingMethod.objects.get(name="Overnight")
    store_admin_client.post(
        reverse("shipping:shipping_method_edit", args=[method.pk]), {**data, "price": "21.00"}
    )
    method.refresh_from_db()
    assert method.price == D("21.00")
    with django_assert_max_num_queries(7):
        html = store_admin_client.get(reverse("shipping:shipping_method_list")).content.decode()
    assert "Overnight" in html and "$21.00" in html


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"days_min": "5", "days_max": "2"}, "days_max", "cannot be fewer"),
        ({"price": "-1"}, "price", "greater than or equal to 0"),
        ({"name": "ground"}, "name", "already a shipping speed named"),
    ],
)
def test_bad_shipping_speeds_are_refused(store_admin_client, changes, field, says):
    ShippingMethod.objects.create(name="Ground", price=D("5"))
    data = {"name": "Two-day", "price": "9.00", "position": "1", **changes}
    response = store_admin_client.post(reverse("shipping:shipping_method_create"), data)
    assert says in " ".join(response.context["form"].errors[field])
    assert ShippingMethod.objects.count() == 1


def test_a_promotions_uses_page_by_keyset(staff_client):
    promotion = PromotionFactory(code="SAVE10")
    for n in range(55):
        code_uses_redeem(code_ids=[promotion.pk], customer_id=None, order_id=5000 + n)
    url = reverse("promotions:uses", args=[promotion.pk])
    first = staff_client.get(url).context["page"]
    assert len(first.rows) == 50 and first.next_cursor
    second = staff_client.get(url, {"after": first.next_cursor}).context["page"]
    assert len(second.rows) == 5 and second.previous_cursor and not second.next_cursor
    assert {u.order_id for u in first.rows}.isdisjoint({u.order_id for u in second.rows})


def test_a_use_links_to_its_order_by_number(staff_client):
    order = order_with_lines(lines=1)
    promotion = PromotionFactory(code="SAVE10")
    code_uses_redeem(code_ids=[promotion.pk], customer_id=None, order_id=order.pk)
    html = staff_client.get(reverse("promotions:uses", args=[promotion.pk])).content.decode()
    assert f'href="{reverse("orders:detail", args=[order.number])}">#{order.number}</a>' in html


def test_the_target_finder_finds_variants_by_sku_and_by_product_name(
    store_admin_client, django_assert_max_num_queries
):
    mug = VariantFactory(sku="MUG-1", product__name="Alpine Mug")
    VariantFactory(sku="TEE-M", product__name="Trail Tee")
    url = reverse("promotions:sku_search")
    with django_assert_max_num_queries(6):
        by_sku = store_admin_client.get(url, {"sku_q": "mug"}).content.decode()
    assert 'data-add-sku="MUG-1"' in by_sku and "TEE-M" not in by_sku
    by_name = store_admin_client.get(url, {"sku_q": "alpine"}).content.decode()
    assert f'data-add-sku="{mug.sku}"' in by_name and 'data-to="id_variant_skus"' in by_name
    assert (
        "No product or SKU matches" in store_admin_client.get(url, {"sku_q": "zz"}).content.decode()
    )
