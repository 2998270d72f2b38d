"""Product suggestions for type-aheads: words that start with what was typed, in any case."""

import pytest

from catalog.selectors import product_name, product_suggestions
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def names(q: str, **kwargs) -> list[str]:
    return [product.name for product in product_suggestions(q=q, **kwargs)]


def test_any_word_of_the_name_matches_its_start_in_any_case():
    ProductFactory(name="Alpine Mug")
    ProductFactory(name="Harbor Tee")
    assert names("MU") == ["Alpine Mug"]
    assert names("alp") == ["Alpine Mug"]
    assert names("lpine") == []


def test_every_word_typed_must_match():
    ProductFactory(name="Alpine Mug")
    ProductFactory(name="Alpine Teapot")
    assert names("alp tea") == ["Alpine Teapot"]


def test_names_that_start_with_the_text_come_first_then_by_name():
    for name in ["Harbor Mug", "Alpine Mug", "Mug Rack", "Mugwort Tea"]:
        ProductFactory(name=name)
    assert names("mug") == ["Mug Rack", "Mugwort Tea", "Alpine Mug", "Harbor Mug"]
    assert names("mug", limit=2) == ["Mug Rack", "Mugwort Tea"]


@pytest.mark.parametrize("typed", ["a:* | b", "mug & !tea", "'); DROP TABLE x; --", "(", "", "  "])
def test_any_text_is_taken_without_error(typed):
    ProductFactory(name="Harbor Mug")
    assert isinstance(product_suggestions(q=typed), list)


def test_a_products_name_by_id():
    product = ProductFactory(name="Alpine Mug")
    assert product_name(product_id=product.pk) == "Alpine Mug"
    assert product_name(product_id=product.pk + 1000) is None
