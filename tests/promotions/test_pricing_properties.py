"""Money is exact over random carts, codes and tax rates (hypothesis)."""

import datetime
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from promotions.pricing import (
    FIXED,
    FREE_SHIPPING,
    ITEM_CODE,
    ORDER_CODE,
    PERCENT,
    PRODUCT,
    CartLine,
    Destination,
    PricingRules,
    PromotionRule,
    quote,
)

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
CENTS = st.integers(min_value=0, max_value=200_000).map(lambda c: Decimal(c).scaleb(-2))
PERCENTS = st.integers(min_value=0, max_value=10_000).map(lambda c: Decimal(c).scaleb(-2))
KEYS = ["d0", "d1", "d2"]

lines = st.lists(
    st.builds(
        lambda i, product, price, quantity, dest: CartLine(
            key=str(i),
            product_id=product,
            variant_id=product * 10,
            unit_price=price,
            quantity=quantity,
            destination=dest,
            is_shippable=bool(dest),
        ),
        st.integers(0, 10_000),
        st.integers(1, 5),
        CENTS,
        st.integers(1, 50),
        st.sampled_from([*KEYS, ""]),
    ).map(lambda ln: replace(ln, promotion_id=4) if ln.product_id == 5 else ln),
    min_size=1,
    max_size=12,
)


@st.composite
def destinations(draw):
    return [
        Destination(
            key,
            draw(st.sampled_from(["US", "DE", "FR"])),
            draw(st.sampled_from(["", "CA", "NY"])),
            draw(CENTS),
        )
        for key in KEYS
    ]


@st.composite
def rule_sets(draw):
    promotions = [
        PromotionRule(
            1,
            ITEM_CODE,
            "Item",
            code="ITEM",
            discount_type=draw(st.sampled_from([PERCENT, FIXED])),
            amount=draw(st.one_of(PERCENTS, CENTS)).min(Decimal(100)),
            product_ids=frozenset(draw(st.sets(st.integers(1, 4)))),
        ),
        PromotionRule(
            2,
            ORDER_CODE,
            "Order",
            code="ORDER",
            discount_type=draw(st.sampled_from([PERCENT, FIXED])),
            amount=draw(st.one_of(PERCENTS, CENTS)).min(Decimal(100)),
            minimum_subtotal=draw(st.none() | CENTS),
        ),
        PromotionRule(
            3, FREE_SHIPPING, "Ship", code="SHIP", minimum_subtotal=draw(st.none() | CENTS)
        ),
        # Lines of product 5 (variant 50) were added by this product promotion.
        PromotionRule(4, PRODUCT, "Gift", items={50: draw(CENTS)}),
    ]
    taxes = {
        (country, region): draw(PERCENTS.map(lambda p: (p / 4).quantize(Decimal("0.001"))))
        for country in ["US", "DE"]
        for region in ["", "ca"]
    }
    return PricingRules(
        now=NOW,
        promotions={p.id: p for p in promotions},
        codes={p.code.lower(): p.id for p in promotions},
        tax_rates=taxes,
        tax_shipping=draw(st.booleans()),
    )


@settings(max_examples=400, deadline=None)
@given(lines, destinations(), rule_sets(), st.lists(st.sampled_from(["ITEM", "order", "SHIP"])))
def test_quotes_are_exact_to_the_cent(cart, places, rules, codes):
    result = quote(cart, places, rules, codes)
    cent = Decimal("0.01")
    order_discount = sum((a.amount for a in result.applied if a.kind == ORDER_CODE), Decimal(0))
    # Line shares of the order discount sum exactly to it.
    assert sum(ln.order_discount for ln in result.lines) == order_discount
    for priced, line in zip(result.lines, cart, strict=True):
        assert priced.subtotal == (line.unit_price * line.quantity).quantize(cent)
        assert Decimal(0) <= priced.discount <= priced.subtotal
        assert priced.item_discount >= 0 and priced.order_discount >= 0
        assert priced.tax >= 0 and priced.total >= 0
        # Tax after discount, at the line's rate, half up.
        expected = ((priced.subtotal - priced.discount) * priced.tax_rate / 100).quantize(
            cent, "ROUND_HALF_UP"
        )
        assert priced.tax == expected
        assert priced.total == priced.subtotal - priced.discount + priced.tax
        for amount in (priced.subtotal, priced.discount, priced.tax, priced.total):
            assert amount == amount.quantize(cent)
    assert result.discount_total == sum(ln.discount for ln in result.lines)
    assert result.tax_total == sum(ln.tax for ln in result.lines) + sum(
        d.shipping_tax for d in result.destinations
    )
    assert (
        result.total
        == result.subtotal - result.discount_total + result.shipping_total + result.tax_total
    )
    assert (
        min(
            result.subtotal,
            result.discount_total,
            result.shipping_total,
            result.tax_total,
            result.total,
        )
        >= 0
    )
