"""Redeeming and releasing code uses; the selectors that load the pricing rules."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from promotions.models import CodeUse, Promotion, TaxSettings
from promotions.pricing import CartLine, Destination, RefusalReason
from promotions.selectors import pricing_rules, promotion_choices, promotion_items, quote_cart
from promotions.services import CodeRefused, code_uses_redeem, code_uses_release
from tests.factories import VariantFactory

from .factories import PromotionFactory, PromotionItemFactory, TaxRateFactory

pytestmark = pytest.mark.django_db


def _race(count: int, redeem) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    guard = threading.Lock()

    def place(n: int):
        try:
            barrier.wait()
            with transaction.atomic():
                redeem(n)
            result = "redeemed"
        except CodeRefused as exc:
            result = exc.reason
        finally:
            connection.close()
        with guard:
            outcomes.append(result)

    threads = [threading.Thread(target=place, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_redemptions_of_a_code_with_five_uses_get_exactly_five():
    code = PromotionFactory(usage_limit=5)
    outcomes = _race(
        20, lambda n: code_uses_redeem(code_ids=[code.pk], customer_id=None, order_id=1000 + n)
    )
    assert sorted(outcomes) == ["redeemed"] * 5 + ["used_up"] * 15
    code.refresh_from_db()
    assert code.uses == 5
    assert CodeUse.objects.filter(promotion=code).count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_by_one_customer_stop_at_the_per_customer_limit():
    code = PromotionFactory(per_customer_limit=2)
    other = PromotionFactory(usage_limit=100)
    outcomes = _race(
        10,
        lambda n: code_uses_redeem(code_ids=[other.pk, code.pk], customer_id=42, order_id=2000 + n),
    )
    assert sorted(outcomes) == ["not_for_customer"] * 8 + ["redeemed"] * 2
    code.refresh_from_db()
    other.refresh_from_db()
    assert (code.uses, other.uses) == (2, 2)  # the refused orders' other code rolled back too
    assert CodeUse.objects.filter(customer_id=42).count() == 4


def test_a_refused_redemption_writes_nothing_of_that_call():
    ok = PromotionFactory()
    spent = PromotionFactory(usage_limit=1, uses=1)
    with pytest.raises(CodeRefused) as refused:
        code_uses_redeem(code_ids=[ok.pk, spent.pk], customer_id=7, order_id=1)
    assert refused.value.reason == RefusalReason.USED_UP
    assert spent.code in refused.value.message
    ok.refresh_from_db()
    assert ok.uses == 0 and not CodeUse.objects.exists()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"is_active": False}, RefusalReason.INACTIVE),
        ({"ends_at": timezone.now() - datetime.timedelta(hours=1)}, RefusalReason.EXPIRED),
        ({"starts_at": timezone.now() + datetime.timedelta(hours=1)}, RefusalReason.NOT_YET_VALID),
    ],
)
def test_redeeming_a_code_that_is_off_or_out_of_its_dates_is_refused_with_why(changes, reason):
    code = PromotionFactory(**changes)
    with pytest.raises(CodeRefused) as refused:
        code_uses_redeem(code_ids=[code.pk], customer_id=None, order_id=1)
    assert refused.value.reason == reason
    assert not CodeUse.objects.exists()


def test_release_gives_the_use_back_once_and_the_customer_may_use_it_again():
    code = PromotionFactory(usage_limit=1, per_customer_limit=1)
    code_uses_redeem(code_ids=[code.pk], customer_id=5, order_id=10)
    assert code_uses_release(order_id=10) == 1
    assert code_uses_release(order_id=10) == 0
    code.refresh_from_db()
    assert code.uses == 0
    assert CodeUse.objects.get(order_id=10).released_at is not None
    code_uses_redeem(code_ids=[code.pk], customer_id=5, order_id=11)
    code.refresh_from_db()
    assert code.uses == 1


def test_the_database_refuses_more_uses_than_the_limit():
    code = PromotionFactory(usage_limit=1, uses=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.filter(pk=code.pk).update(uses=2)


def test_codes_are_unique_whatever_their_case():
    PromotionFactory(code="Save10")
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionFactory(code="SAVE10")


def test_pricing_rules_load_codes_any_case_with_targets_and_the_customers_uses(
    django_assert_max_num_queries,
):
    variant = VariantFactory()
    item = PromotionFactory(kind=Promotion.Kind.ITEM_CODE, code="Mug20", per_customer_limit=3)
    item.products.add(variant.product)
    item.variants.add(variant)
    code_uses_redeem(code_ids=[item.pk], customer_id=9, order_id=1)
    TaxRateFactory(country="US", region="CA", rate=D("7.25"))
    TaxSettings.objects.create(pk=1, tax_shipping=True)
    with django_assert_max_num_queries(3):
        rules = pricing_rules(codes=["mug20"], customer_id=9, now=timezone.now())
    rule = rules.promotions[item.pk]
    assert rule.product_ids == {variant.product_id} and rule.variant_ids == {variant.pk}
    assert rule.customer_uses == 1 and rule.uses == 1
    assert rules.codes == {"mug20": item.pk}
    assert rules.tax_rates == {("US", "ca"): D("7.250")} and rules.tax_shipping


def test_quote_cart_prices_a_product_promotions_lines_in_four_queries(
    django_assert_max_num_queries,
):
    gift = PromotionItemFactory(unit_discount=D("3.00"), quantity=2)
    line = CartLine(
        "1",
        gift.variant.product_id,
        gift.variant_id,
        D("20.00"),
        2,
        "home",
        True,
        gift.promotion_id,
    )
    with django_assert_max_num_queries(4):
        result = quote_cart(
            lines=[line],
            destinations=[Destination("home", "US", "", D("4.00"))],
            codes=[],
            customer_id=None,
            now=timezone.now(),
        )
    assert result.discount_total == D("6.00")
    assert result.applied[0].promotion_id == gift.promotion_id


def test_promotion_choices_are_the_usable_product_promotions_and_items_come_with_variants(
    django_assert_max_num_queries,
):
    gift = PromotionItemFactory().promotion
    PromotionFactory(kind=Promotion.Kind.PRODUCT, code="", is_active=False)
    PromotionFactory(kind=Promotion.Kind.PRODUCT, code="", usage_limit=1, uses=1)
    PromotionFactory()  # an order code
    assert promotion_choices(now=timezone.now()) == [gift]
    with django_assert_max_num_queries(1):
        items = promotion_items(promotion_id=gift.pk)
        assert items[0].variant.product.name
