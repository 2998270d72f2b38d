"""The pricing engine (promotions.pricing.quote): pure, no database."""

import datetime
from decimal import Decimal as D

import pytest

from promotions.pricing import (
    FIXED,
    FREE_SHIPPING,
    ITEM_CODE,
    ORDER_CODE,
    PRODUCT,
    CartLine,
    Destination,
    PricingRules,
    PromotionRule,
    RefusalReason,
    quote,
    spread,
)

NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def rules(*promotions: PromotionRule, **kwargs) -> PricingRules:
    return PricingRules(
        now=NOW,
        promotions={p.id: p for p in promotions},
        codes={p.code.lower(): p.id for p in promotions if p.code},
        **kwargs,
    )


def line(key="a", price="10.00", quantity=1, product=1, variant=None, dest="home", **kwargs):
    return CartLine(
        key=key,
        product_id=product,
        variant_id=variant or product * 10,
        unit_price=D(price),
        quantity=quantity,
        destination=dest,
        is_shippable=kwargs.pop("is_shippable", True),
        **kwargs,
    )


HOME = Destination("home", "US", "CA", D("5.00"))
SAVE10 = PromotionRule(1, ORDER_CODE, "Save ten", code="SAVE10", amount=D("10"))
FIVE_OFF = PromotionRule(2, ORDER_CODE, "Five off", code="FIVE", discount_type=FIXED, amount=D(5))
FREESHIP = PromotionRule(3, FREE_SHIPPING, "Free shipping", code="FREESHIP")
MUG20 = PromotionRule(4, ITEM_CODE, "Mugs", code="MUG20", amount=D(20), product_ids=frozenset({1}))


def reasons(result) -> list[str]:
    return [r.reason for r in result.refused]


def test_an_order_code_takes_its_percent_off_the_subtotal_and_spreads_it_over_the_lines():
    result = quote(
        [line("a", "10.00"), line("b", "20.00", product=2)], [HOME], rules(SAVE10), ["save10"]
    )
    assert result.discount_total == D("3.00")
    assert [ln.order_discount for ln in result.lines] == [D("1.00"), D("2.00")]
    assert result.applied[0].code == "SAVE10" and result.applied[0].amount == D("3.00")


def test_an_order_discount_spread_by_largest_remainder_sums_exactly():
    lines = [line(k, "3.33", product=i + 1) for i, k in enumerate("abc")]
    result = quote(
        lines,
        [HOME],
        rules(
            FIVE_OFF.__class__(
                2, ORDER_CODE, "x", code="ONE", discount_type=FIXED, amount=D("1.00")
            )
        ),
        ["one"],
    )
    assert [ln.order_discount for ln in result.lines] == [D("0.34"), D("0.33"), D("0.33")]
    assert sum(ln.order_discount for ln in result.lines) == D("1.00")


def test_spread_gives_leftover_cents_to_the_largest_remainders():
    assert spread(D("0.10"), [D("1"), D("1"), D("1")], D("0.01")) == [
        D("0.04"),
        D("0.03"),
        D("0.03"),
    ]
    assert spread(D("1.00"), [D("0"), D("5")], D("0.01")) == [D("0.00"), D("1.00")]


def test_a_fixed_order_discount_larger_than_the_cart_stops_at_zero():
    big = PromotionRule(5, ORDER_CODE, "Big", code="BIG", discount_type=FIXED, amount=D("500"))
    result = quote([line(price="12.50")], [HOME], rules(big), ["BIG"])
    assert result.discount_total == D("12.50")
    assert result.lines[0].total == D("0.00")
    assert result.total == D("5.00")


def test_a_fixed_item_discount_larger_than_the_unit_price_never_goes_below_zero():
    fixed = PromotionRule(
        6,
        ITEM_CODE,
        "Fixed",
        code="TENOFF",
        discount_type=FIXED,
        amount=D("10"),
        product_ids=frozenset({1}),
    )
    result = quote([line(price="4.00", quantity=3)], [HOME], rules(fixed), ["tenoff"])
    assert result.lines[0].item_discount == D("12.00")
    assert result.lines[0].total == D("0.00")


def test_an_item_code_discounts_each_unit_of_matching_products_and_variants_only():
    by_variant = PromotionRule(
        7, ITEM_CODE, "Var", code="VAR", amount=D(50), variant_ids=frozenset({25})
    )
    cart = [
        line("a", "10.00", 2, product=1),
        line("b", "8.00", 1, product=2, variant=25),
        line("c", "9.00", product=3),
    ]
    result = quote(cart, [HOME], rules(MUG20, by_variant), ["MUG20", "VAR"])
    assert [ln.item_discount for ln in result.lines] == [D("4.00"), D("4.00"), D("0.00")]
    assert not result.refused


def test_item_codes_do_not_stack_the_best_one_wins_per_line():
    better = PromotionRule(
        8, ITEM_CODE, "Better", code="MUG50", amount=D(50), product_ids=frozenset({1})
    )
    result = quote([line(price="10.00")], [HOME], rules(MUG20, better), ["MUG20", "MUG50"])
    assert result.lines[0].item_discount == D("5.00")


def test_an_item_code_for_none_of_the_items_is_refused_with_no_matching_items():
    result = quote([line(product=9)], [HOME], rules(MUG20), ["mug20"])
    assert reasons(result) == [RefusalReason.NO_MATCHING_ITEMS]
    assert "none of the items" in result.refused[0].message
    assert result.discount_total == D("0.00")


def test_an_unknown_code_is_refused_and_named():
    result = quote([line()], [HOME], rules(), ["NOPE"])
    assert reasons(result) == [RefusalReason.UNKNOWN]
    assert "NOPE" in result.refused[0].message


@pytest.mark.parametrize(
    ("changes", "reason", "says"),
    [
        ({"ends_at": NOW - DAY}, RefusalReason.EXPIRED, "ended on"),
        ({"ends_at": NOW}, RefusalReason.EXPIRED, "ended on"),
        ({"starts_at": NOW + DAY}, RefusalReason.NOT_YET_VALID, "starts on"),
        ({"is_active": False}, RefusalReason.INACTIVE, "switched off"),
        ({"usage_limit": 5, "uses": 5}, RefusalReason.USED_UP, "all 5 of its uses"),
        (
            {"per_customer_limit": 1, "customer_uses": 1},
            RefusalReason.NOT_FOR_CUSTOMER,
            "already used",
        ),
    ],
)
def test_a_code_that_cannot_be_used_now_is_refused_with_its_reason(changes, reason, says):
    code = PromotionRule(**{**SAVE10.__dict__, **changes})
    result = quote([line(price="100.00")], [HOME], rules(code), ["SAVE10"])
    assert reasons(result) == [reason]
    assert says in result.refused[0].message
    assert result.discount_total == D("0.00")


def test_a_code_within_its_dates_and_limits_applies():
    code = PromotionRule(
        **{
            **SAVE10.__dict__,
            "starts_at": NOW - DAY,
            "ends_at": NOW + DAY,
            "usage_limit": 5,
            "uses": 4,
        }
    )
    assert quote([line()], [HOME], rules(code), ["SAVE10"]).discount_total == D("1.00")


def test_an_order_code_under_its_minimum_is_refused_saying_the_minimum_and_the_spend():
    code = PromotionRule(**{**SAVE10.__dict__, "minimum_subtotal": D("50.00")})
    result = quote([line(price="49.99")], [HOME], rules(code), ["SAVE10"])
    assert reasons(result) == [RefusalReason.MINIMUM_NOT_MET]
    assert "50.00" in result.refused[0].message and "49.99" in result.refused[0].message
    assert quote([line(price="50.00")], [HOME], rules(code), ["SAVE10"]).discount_total == D("5.00")


def test_the_minimum_is_checked_after_item_discounts():
    code = PromotionRule(**{**SAVE10.__dict__, "minimum_subtotal": D("50.00")})
    result = quote([line(price="60.00")], [HOME], rules(code, MUG20), ["MUG20", "SAVE10"])
    assert reasons(result) == [RefusalReason.MINIMUM_NOT_MET]  # 60 - 20% = 48


def test_two_order_codes_do_not_combine_the_first_applies():
    result = quote([line(price="100.00")], [HOME], rules(SAVE10, FIVE_OFF), ["FIVE", "SAVE10"])
    assert [a.code for a in result.applied] == ["FIVE"]
    assert reasons(result) == [RefusalReason.DOES_NOT_COMBINE]
    assert "FIVE" in result.refused[0].message and "SAVE10" in result.refused[0].message


def test_two_free_shipping_codes_do_not_combine():
    other = PromotionRule(9, FREE_SHIPPING, "Other", code="SHIPFREE")
    result = quote([line()], [HOME], rules(FREESHIP, other), ["FREESHIP", "SHIPFREE"])
    assert reasons(result) == [RefusalReason.DOES_NOT_COMBINE]


def test_item_codes_combine_with_one_order_code_and_one_free_shipping_code():
    result = quote(
        [line(price="100.00")],
        [HOME],
        rules(MUG20, SAVE10, FREESHIP),
        ["MUG20", "SAVE10", "FREESHIP"],
    )
    assert not result.refused
    assert [a.code for a in result.applied] == ["MUG20", "SAVE10", "FREESHIP"]
    assert result.lines[0].item_discount == D("20.00")
    assert result.lines[0].order_discount == D("8.00")  # 10% of what is left
    assert result.shipping_total == D("0.00")


def test_a_free_shipping_code_zeroes_every_destinations_shipping():
    work = Destination("work", "US", "NY", D("7.50"))
    cart = [line("a"), line("b", product=2, dest="work")]
    result = quote(cart, [HOME, work], rules(FREESHIP), ["FREESHIP"])
    assert [d.shipping for d in result.destinations] == [D("0.00"), D("0.00")]
    assert result.applied[0].amount == D("12.50")
    assert result.total == D("20.00")


def test_a_free_shipping_code_under_its_minimum_is_refused():
    code = PromotionRule(**{**FREESHIP.__dict__, "minimum_subtotal": D("75")})
    result = quote([line(price="74.99")], [HOME], rules(code), ["FREESHIP"])
    assert reasons(result) == [RefusalReason.MINIMUM_NOT_MET]
    assert result.shipping_total == D("5.00")


def test_a_free_shipping_code_on_an_order_that_ships_nothing_is_refused():
    result = quote([line(dest="", is_shippable=False)], [], rules(FREESHIP), ["FREESHIP"])
    assert reasons(result) == [RefusalReason.NO_MATCHING_ITEMS]


GIFT = PromotionRule(10, PRODUCT, "Gift set", code="GIFT", items={55: D("5.00"), 56: D("99")})


def test_a_product_promotions_lines_take_its_unit_discounts_and_combine_with_everything():
    cart = [
        line("a", "10.00", 2, product=5, variant=55, promotion_id=10),
        line("b", "4.00", 1, product=5, variant=56, promotion_id=10),
        line("c", "100.00", 1, product=1),
    ]
    result = quote(
        cart, [HOME], rules(GIFT, MUG20, SAVE10, FREESHIP), ["MUG20", "SAVE10", "FREESHIP"]
    )
    assert not result.refused
    assert [ln.item_discount for ln in result.lines] == [D("10.00"), D("4.00"), D("20.00")]
    assert result.applied[0].label == "Gift set" and result.applied[0].amount == D("14.00")


def test_item_codes_leave_a_product_promotions_lines_alone():
    cart = [line("a", "10.00", 1, product=1, variant=55, promotion_id=10)]
    result = quote(cart, [HOME], rules(GIFT, MUG20), ["MUG20"])
    assert result.lines[0].item_discount == D("5.00")  # the promotion's own, not 20% more
    assert reasons(result) == [RefusalReason.NO_MATCHING_ITEMS]


def test_an_expired_product_promotion_gives_its_lines_no_discount_and_says_why():
    ended = PromotionRule(**{**GIFT.__dict__, "ends_at": NOW - DAY})
    result = quote([line(variant=55, promotion_id=10)], [HOME], rules(ended))
    assert reasons(result) == [RefusalReason.EXPIRED]
    assert result.discount_total == D("0.00")


def test_a_product_promotions_code_without_its_lines_is_refused():
    result = quote([line()], [HOME], rules(GIFT), ["gift"])
    assert reasons(result) == [RefusalReason.NO_MATCHING_ITEMS]


TAX = {("US", ""): D("5"), ("US", "ca"): D("7.25"), ("DE", ""): D("19")}


def test_tax_is_by_the_lines_destination_a_region_beating_its_country():
    ny = Destination("ny", "US", "NY", D("0"))
    berlin = Destination("de", "de", "BE", D("0"))
    cart = [
        line("a", "100.00"),
        line("b", "100.00", product=2, dest="ny"),
        line("c", "100.00", product=3, dest="de"),
    ]
    result = quote(cart, [HOME, ny, berlin], rules(tax_rates=TAX))
    assert [ln.tax_rate for ln in result.lines] == [D("7.25"), D("5"), D("19")]
    assert [ln.tax for ln in result.lines] == [D("7.25"), D("5.00"), D("19.00")]


def test_a_country_without_a_rate_is_not_taxed():
    fr = Destination("fr", "FR", "", D("0"))
    assert quote([line(dest="fr")], [fr], rules(tax_rates=TAX)).tax_total == D("0.00")


def test_tax_is_charged_after_discounts_and_rounded_half_up_per_line():
    result = quote([line(price="10.00")], [HOME], rules(SAVE10, tax_rates=TAX), ["SAVE10"])
    assert result.lines[0].tax == D("0.65")  # 9.00 × 7.25% = 0.6525
    assert result.total == D("10.00") - D("1.00") + D("5.00") + D("0.65")


def test_shipping_is_taxed_only_when_the_store_taxes_shipping():
    untaxed = quote([line()], [HOME], rules(tax_rates=TAX))
    taxed = quote([line()], [HOME], rules(tax_rates=TAX, tax_shipping=True))
    assert untaxed.destinations[0].shipping_tax == D("0.00")
    assert taxed.destinations[0].shipping_tax == D("0.36")  # 5.00 × 7.25% = 0.3625
    assert taxed.tax_total == D("0.73") + D("0.36")


def test_lines_that_do_not_ship_are_taxed_at_the_contacts_address_when_given():
    own = Destination("", "US", "CA", D("0"))
    cart = [line(dest="", is_shippable=False)]
    assert quote(cart, [own], rules(tax_rates=TAX)).tax_total == D("0.73")
    assert quote(cart, [], rules(tax_rates=TAX)).tax_total == D("0.00")


def test_codes_are_matched_in_any_case_and_once():
    result = quote([line()], [HOME], rules(SAVE10), [" save10 ", "SAVE10"])
    assert len(result.applied) == 1 and not result.refused
