"""Settings → Promotions, Tax rates and Shipping speeds in Chromium: axe, the keyboard, a tablet."""

from decimal import Decimal

import pytest
from django.urls import reverse

from promotions.models import Promotion
from promotions.services import code_uses_redeem
from shipping.models import ShippingMethod
from tests.factories import UserFactory, VariantFactory
from tests.promotions.factories import PromotionFactory, PromotionItemFactory, TaxRateFactory

from .test_accessibility_browser import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def store(db):
    UserFactory(role="admin", username="boss")
    code = PromotionFactory(code="SAVE10", minimum_subtotal=Decimal("50"), usage_limit=5)
    code_uses_redeem(code_ids=[code.pk], customer_id=None, order_id=1)
    item = PromotionItemFactory(promotion__name="Gift set")
    TaxRateFactory(country="US", region="CA", rate=Decimal("7.25"))
    ShippingMethod.objects.create(name="Ground", price=Decimal("5.00"))
    return {"code": code, "gift": item.promotion}


def test_the_settings_pages_pass_axe_and_fit_a_tablet(page, login, live_server, store):
    """At 768 px the page's content does not scroll sideways (the admin's top bar, with more
    links than staff's, overflows on every page: the frame's own matter; staff's pages are
    checked whole below)."""
    login("boss", "pass-word-123")
    paths = [
        reverse("promotions:list"),
        reverse("promotions:create", args=["item_code"]),
        reverse("promotions:edit", args=[store["gift"].pk]),
        reverse("promotions:uses", args=[store["code"].pk]),
        reverse("promotions:tax_rate_list"),
        reverse("promotions:tax_rate_create"),
        reverse("shipping:shipping_method_list"),
        reverse("shipping:shipping_method_create"),
    ]
    found = {}
    for path in paths:
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(f"{live_server.url}{path}")
        problems = violations(page)
        page.set_viewport_size({"width": 768, "height": 1000})
        wide = page.evaluate("document.querySelector('main').scrollWidth")
        if wide > page.evaluate("document.querySelector('main').clientWidth"):
            problems.append(f"the content scrolls sideways: {wide}px")
        if problems:
            found[path] = problems
    assert not found, found


def test_order_staff_read_promotions_and_tax_rates_on_a_tablet(new_context, live_server, store):
    UserFactory(role="staff", username="clerk")
    tablet = new_context(viewport={"width": 768, "height": 1024}).new_page()
    tablet.goto(f"{live_server.url}{reverse('login')}?next={reverse('promotions:list')}")
    tablet.fill("#id_username", "clerk")
    tablet.fill("#id_password", "pass-word-123")
    tablet.click("button[type=submit]")
    tablet.wait_for_url(f"{live_server.url}{reverse('promotions:list')}")
    assert tablet.get_by_role("heading", name="How promotions combine").is_visible()
    assert tablet.get_by_role("link", name="Add item promo code").count() == 0
    for path in [
        reverse("promotions:list"),
        reverse("promotions:uses", args=[store["code"].pk]),
        reverse("promotions:tax_rate_list"),
    ]:
        tablet.goto(f"{live_server.url}{path}")
        width = tablet.evaluate("document.documentElement.scrollWidth")
        assert width <= 768, f"{path} scrolls sideways on a tablet ({width}px wide)"
        assert not violations(tablet), path


def test_an_admin_adds_an_item_code_from_the_keyboard_and_a_mistake_is_named(
    page, login, live_server, store
):
    VariantFactory(sku="MUG-1", product__name="Alpine Mug")
    login("boss", "pass-word-123", reverse("promotions:list"))
    page.get_by_role("link", name="Add item promo code").focus()
    page.keyboard.press("Enter")
    page.get_by_role("textbox", name="Name", exact=True).fill("Mugs")
    page.get_by_role("textbox", name="Code", exact=True).fill("mug20")
    page.get_by_label("Discount", exact=True).fill("120")
    page.get_by_label("Find a product or SKU").fill("alpine")
    page.get_by_label("Find a product or SKU").press("Enter")  # searches, does not submit
    add = page.get_by_role("button", name="Add this variant")
    add.focus()
    page.keyboard.press("Enter")
    assert page.get_by_label("Single variants").input_value() == "MUG-1"
    page.get_by_label("Discount", exact=True).press("Enter")
    page.get_by_text("A percent discount cannot be more than 100.").wait_for()
    assert not Promotion.objects.filter(code="mug20").exists()

    page.get_by_label("Discount", exact=True).fill("20")
    page.get_by_label("Discount", exact=True).press("Enter")
    page.wait_for_url(f"{live_server.url}{reverse('promotions:list')}")
    page.get_by_text("“Mugs” is saved: 20% off.").wait_for()
    assert Promotion.objects.get(code="mug20").variants.get().sku == "MUG-1"
