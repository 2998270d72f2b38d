"""Property: whatever the cart, codes, tax rates and addresses, the order entry writes adds up
to the cent — as intake's own rule states it — and is the quote staff saw on review."""

from contextlib import suppress
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Variant
from entry import placing, services
from entry.selectors import contact_addresses, draft_of, draft_quote
from orders.actors import Actor
from promotions.models import TaxRate, TaxSettings

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")

cents = st.integers(min_value=1, max_value=99_999).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=15_000).map(lambda r: Decimal(r) / 1000)
carts = st.lists(
    st.tuples(st.sampled_from(["small", "large", "mug", "ebook"]), st.integers(1, 4), cents),
    min_size=1,
    max_size=4,
    unique_by=lambda item: item[0],
)


def _draft(shop, clerk, cart, codes, split):
    draft = services.draft_create(owner=clerk)
    services.draft_contact_set(draft_id=draft.pk, owner=clerk, profile_id=shop["profile"].pk)
    for name, quantity, price in cart:
        Variant.objects.filter(pk=shop[name].pk).update(price=price, stock=100)
        services.draft_line_add(
            draft_id=draft.pk, owner=clerk, variant_id=shop[name].pk, quantity=quantity
        )
    shipped = [
        ln
        for ln in draft.lines.select_related("variant__product")
        if ln.variant.product.is_shippable
    ]
    if shipped:
        home, other = shop["home"].pk, shop["other"].pk
        allocations = []
        for line in shipped:
            away = line.quantity // 2 if split else 0
            allocations.append(services.Allocation(line.pk, home, line.quantity - away))
            if away:
                allocations.append(services.Allocation(line.pk, other, away, is_gift=True))
        services.draft_shipping_set(
            draft_id=draft.pk,
            owner=clerk,
            allocations=[a for a in allocations if a.quantity],
            speeds={home: shop["standard"].pk, other: shop["express"].pk},
            ship_to_many=split,
        )
    for code in codes:
        # A refused code (no matching items, minimum not met) stays off the draft.
        with suppress(services.EntryError):
            services.draft_code_add(draft_id=draft.pk, owner=clerk, code=code)
    return draft


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cart=carts,
    codes=st.lists(st.sampled_from(["SHIRT10", "FIVE", "SHIPFREE"]), unique=True),
    ca_rate=rates,
    ny_rate=rates,
    tax_shipping=st.booleans(),
    split=st.booleans(),
)
def test_placed_orders_add_up_to_the_cent(
    shop, clerk, cart, codes, ca_rate, ny_rate, tax_shipping, split
):
    with transaction.atomic():
        TaxRate.objects.filter(region="CA").update(rate=ca_rate)
        TaxRate.objects.update_or_create(
            country="US", region="NY", defaults={"rate": ny_rate, "name": "NY tax"}
        )
        TaxSettings.objects.update_or_create(pk=1, defaults={"tax_shipping": tax_shipping})
        draft = _draft(shop, clerk, cart, codes, split)
        full = draft_of(draft_id=draft.pk, owner=clerk)
        quote = draft_quote(full, contact_addresses(profile_id=full.profile_id))
        order = placing.draft_place(
            draft_id=draft.pk, owner=clerk, payment=placing.Payment(), actor=Actor.of(clerk)
        ).order
        lines = list(order.lines.all())
        destinations = list(order.destinations.all())
        transaction.set_rollback(True)

    amounts = [order.subtotal, order.discount_total, order.shipping_total, order.tax_total]
    assert all(a == a.quantize(CENT) and a >= 0 for a in [*amounts, order.total])
    assert order.total == quote.total
    assert order.subtotal - order.discount_total + order.shipping_total + order.tax_total == (
        order.total
    )
    assert order.subtotal == sum(line.total for line in lines)
    assert all(ln.total == ln.unit_price * ln.quantity - ln.discount for ln in lines)
    assert order.tax_total == sum(ln.tax for ln in lines) + sum(
        d.shipping_tax for d in destinations
    )
    assert order.shipping_total == sum(d.shipping for d in destinations)
    assert sum(ln.quantity for ln in lines) == sum(q for _, q, _ in cart)
