from decimal import Decimal

import factory

from promotions.models import Promotion, PromotionItem, TaxRate


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    kind = Promotion.Kind.ORDER_CODE
    name = factory.Sequence(lambda n: f"Promotion {n}")
    code = factory.Sequence(lambda n: f"CODE{n}")
    discount_type = Promotion.DiscountType.PERCENT
    amount = Decimal("10")


class PromotionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromotionItem

    promotion = factory.SubFactory(PromotionFactory, kind=Promotion.Kind.PRODUCT, code="")
    variant = factory.SubFactory("tests.factories.VariantFactory")
    quantity = 1
    unit_discount = Decimal("5.00")


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate

    country = "US"
    region = ""
    rate = Decimal("5")
    name = "Sales tax"
