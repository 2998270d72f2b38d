"""The shop order-entry tests buy from (also the permission matrix's)."""

from decimal import Decimal

from promotions.models import Promotion, PromotionItem, TaxRate
from shipping.models import ShippingMethod
from tests.factories import AddressFactory, ProductFactory, VariantFactory


def entry_shop() -> dict:
    """A contact with two addresses (CA and NY), a shirt in two sizes, an e-book, two speeds,
    a CA tax rate, one code of each kind and a product promotion."""
    home = AddressFactory(region="CA", country="US", is_default_shipping=True)
    other = AddressFactory(profile=home.profile, region="NY", country="US")
    shirt = ProductFactory(name="Field Shirt")
    small = VariantFactory(product=shirt, sku="SHIRT-S", options={"size": "S"}, stock=5)
    large = VariantFactory(product=shirt, sku="SHIRT-L", options={"size": "L"}, stock=5)
    ebook = VariantFactory(
        product=ProductFactory(name="Field Guide eBook", is_shippable=False),
        sku="EBOOK",
        price=Decimal("9.99"),
        track_stock=False,
    )
    mug = VariantFactory(product=ProductFactory(name="Camp Mug"), sku="MUG", price=Decimal("8.00"))
    standard = ShippingMethod.objects.create(name="Standard", price=Decimal("5.00"), position=1)
    express = ShippingMethod.objects.create(name="Overnight", price=Decimal("25.00"), position=2)
    TaxRate.objects.create(country="US", region="CA", rate=Decimal("10"), name="CA tax")
    item_code = Promotion.objects.create(
        kind="item_code",
        name="Shirts 10% off",
        code="SHIRT10",
        discount_type="percent",
        amount=Decimal("10"),
    )
    item_code.products.add(shirt)
    order_code = Promotion.objects.create(
        kind="order_code", name="$5 off", code="FIVE", discount_type="fixed", amount=Decimal("5")
    )
    free = Promotion.objects.create(kind="free_shipping", name="Free shipping", code="SHIPFREE")
    bundle = Promotion.objects.create(kind="product", name="Mug bundle")
    PromotionItem.objects.create(
        promotion=bundle, variant=mug, quantity=2, unit_discount=Decimal("3.00")
    )
    return {
        "profile": home.profile,
        "home": home,
        "other": other,
        "small": small,
        "large": large,
        "ebook": ebook,
        "mug": mug,
        "standard": standard,
        "express": express,
        "item_code": item_code,
        "order_code": order_code,
        "free": free,
        "bundle": bundle,
    }
