"""Reads of the catalog for other apps' pages."""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404

from .models import Product, ProductVendor

SUGGESTIONS = 10
# Letters and digits of any script: everything else separates words, as in to_tsvector.
_WORD = re.compile(r"\w+")


def product_suggestions(*, q: str, limit: int = SUGGESTIONS) -> list[Product]:
    """Products whose name has a word starting with each word typed ("alp mu" finds
    "Alpine Mug"), names that start with the text first, then by name; at most `limit`.

    Served by product_name_words_idx (a prefix tsquery on the GIN index), one query.
    """
    words = _WORD.findall(q.lower())[:5]
    if not words:
        return []
    # Raw tsquery syntax built from \\w+ words only: nothing typed can inject an operator.
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config="simple"
    )
    return list(
        Product.objects.annotate(words=SearchVector("name", config="simple"))
        .filter(words=query)
        .annotate(
            rank=Case(
                When(name__istartswith=q.strip(), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "name", "id")
        .only("id", "name", "is_active")[:limit]
    )


def product_name(*, product_id: int) -> str | None:
    """The product's name, or None if there is no such product."""
    return Product.objects.filter(pk=product_id).values_list("name", flat=True).first()


def product_detail(*, product_id: int) -> Product:
    """A product with everything its back-office page shows, in three queries: the product,
    its variants (by SKU, with their stock, units sold and backordered counters) and its vendor
    links with their vendors (the default first, then by vendor name). Http404 if none."""
    queryset = Product.objects.prefetch_related(
        "variants",
        Prefetch(
            "vendor_links",
            queryset=ProductVendor.objects.select_related("vendor").order_by(
                "-is_default", "vendor__name", "id"
            ),
        ),
    )
    try:
        return queryset.get(pk=product_id)
    except Product.DoesNotExist as exc:
        raise Http404(f"No product {product_id}.") from exc
