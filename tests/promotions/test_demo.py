from django.utils import timezone

from devtools.seeding import promotions_ensure
from promotions.models import Promotion, TaxRate
from promotions.pricing import CartLine, Destination
from promotions.selectors import quote_cart
from tests.factories import VariantFactory


def test_the_demo_has_promotions_of_every_kind_and_tax_rates_and_is_left_alone_after(db):
    variants = VariantFactory.create_batch(4)
    assert promotions_ensure() == 6
    assert set(Promotion.objects.values_list("kind", flat=True)) == set(Promotion.Kind.values)
    assert TaxRate.objects.filter(country="US", region="CA").exists()
    assert promotions_ensure() == 0
    line = CartLine("1", variants[0].product_id, variants[0].pk, variants[0].price, 4, "a", True)
    quote = quote_cart(
        lines=[line],
        destinations=[Destination("a", "US", "CA", variants[0].price)],
        codes=["save10", "freeship", "item20", "spring"],
        customer_id=None,
        now=timezone.now(),
    )
    assert [a.code for a in quote.applied] == ["ITEM20", "SAVE10", "FREESHIP"]
    assert [r.reason for r in quote.refused] == ["expired"]
