"""Reads of promotions and taxes: what the pricing engine needs (for order entry) and what the
Settings pages list."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Lower

from catalog.models import Variant
from catalog.selectors import product_suggestions
from core import keyset
from customers.models import Profile

from . import pricing
from .filters import PromotionFilter
from .models import CodeUse, Promotion, PromotionItem, TaxRate, TaxSettings


def promotion_rule(
    promotion: Promotion, items: Mapping[int, pricing.Decimal]
) -> pricing.PromotionRule:
    return pricing.PromotionRule(
        id=promotion.pk,
        kind=promotion.kind,
        name=promotion.name,
        code=promotion.code,
        discount_type=promotion.discount_type or pricing.PERCENT,
        amount=promotion.amount,
        minimum_subtotal=promotion.minimum_subtotal,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        is_active=promotion.is_active,
        usage_limit=promotion.usage_limit,
        uses=promotion.uses,
        per_customer_limit=promotion.per_customer_limit,
        customer_uses=getattr(promotion, "customer_uses", 0),
        product_ids=frozenset(i for i in getattr(promotion, "product_ids", ()) if i is not None),
        variant_ids=frozenset(i for i in getattr(promotion, "variant_ids", ()) if i is not None),
        items=items,
    )


def _promotions(codes: Sequence[str], promotion_ids: Sequence[int], customer_id: int | None):
    """The promotions asked for, each with its targets and this customer's unreleased uses as
    per-row subqueries (joins would multiply a popular code's uses by its targets)."""
    wanted = [c.strip().lower() for c in codes if c.strip()]
    if not wanted and not promotion_ids:
        return []
    mine = OuterRef("pk")
    products = Promotion.products.through.objects.filter(promotion_id=mine).values("product_id")
    variants = Promotion.variants.through.objects.filter(promotion_id=mine).values("variant_id")
    held = (
        CodeUse.objects.filter(promotion_id=mine, customer_id=customer_id, released_at=None)
        .order_by()
        .values("promotion_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        Promotion.objects.annotate(code_lower=Lower("code"))
        # `~Q(code="")` lets the partial unique index on lower(code) serve the lookup.
        .filter((Q(code_lower__in=wanted) & ~Q(code="")) | Q(pk__in=list(promotion_ids)))
        .annotate(
            product_ids=ArraySubquery(products),
            variant_ids=ArraySubquery(variants),
            customer_uses=Coalesce(Subquery(held), 0) if customer_id is not None else Value(0),
        )
    )


def _tax_rates() -> dict[tuple[str, str], pricing.Decimal]:
    return {
        (country.upper(), region.strip().lower()): rate
        for country, region, rate in TaxRate.objects.values_list("country", "region", "rate")
    }


def tax_shipping() -> bool:
    """The setting, read without creating its row (a read never writes)."""
    value = TaxSettings.objects.filter(pk=1).values_list("tax_shipping", flat=True).first()
    return bool(value)


def pricing_rules(
    *,
    codes: Sequence[str],
    customer_id: int | None,
    now: datetime,
    promotion_ids: Sequence[int] = (),
) -> pricing.PricingRules:
    """The promotions named by `codes` (any case) or by id (product promotions whose lines
    are in the cart), with their targets and this customer's unreleased uses; every tax rate;
    the tax-shipping setting. Three queries, a fourth when a product promotion is involved."""
    promotions = _promotions(codes, promotion_ids, customer_id)
    product_ids = [p.pk for p in promotions if p.kind == Promotion.Kind.PRODUCT]
    items: dict[int, dict[int, pricing.Decimal]] = {pk: {} for pk in product_ids}
    if product_ids:
        for row in PromotionItem.objects.filter(promotion_id__in=product_ids).values(
            "promotion_id", "variant_id", "unit_discount"
        ):
            items[row["promotion_id"]][row["variant_id"]] = row["unit_discount"]
    rules = {p.pk: promotion_rule(p, items.get(p.pk, {})) for p in promotions}
    return pricing.PricingRules(
        now=now,
        promotions=rules,
        codes={p.code.lower(): p.pk for p in promotions if p.code},
        tax_rates=_tax_rates(),
        tax_shipping=tax_shipping(),
        places=settings.STORE_CURRENCY_PLACES,
        entered=tuple(codes),
    )


def quote_cart(
    *,
    lines: Sequence[pricing.CartLine],
    destinations: Sequence[pricing.Destination],
    codes: Sequence[str],
    customer_id: int | None,
    now: datetime,
) -> pricing.Quote:
    """The cart priced by `pricing.quote` with the rules loaded for it (3-4 queries)."""
    promotion_ids = list(dict.fromkeys(ln.promotion_id for ln in lines if ln.promotion_id))
    rules = pricing_rules(
        codes=codes, customer_id=customer_id, now=now, promotion_ids=promotion_ids
    )
    return pricing.quote(lines, destinations, rules)


def promotion_choices(*, now: datetime) -> list[Promotion]:
    """The product promotions staff may pick now (active, in dates, uses left), by name."""
    return list(
        Promotion.objects.usable(now).filter(kind=Promotion.Kind.PRODUCT).order_by("name", "id")
    )


def promotion_items(*, promotion_id: int) -> list[PromotionItem]:
    """The lines a product promotion adds, with their variants and products (one query)."""
    return list(
        PromotionItem.objects.filter(promotion_id=promotion_id)
        .select_related("variant__product")
        .order_by("id")
    )


def variants_by_sku(*, skus: Sequence[str]) -> dict[str, Variant]:
    """The variants with these SKUs (exact), by SKU; one query."""
    if not skus:
        return {}
    return {
        v.sku: v
        for v in Variant.objects.filter(sku__in=list(skus)).only("id", "sku", "product_id", "price")
    }


def sku_suggestions(*, q: str, limit: int = 10) -> list[Variant]:
    """Variants to target, found as typed: SKUs starting with the text (the SKU's index), then
    the variants of products with a word starting with each word typed
    (catalog.selectors.product_suggestions). Three queries at most."""
    q = q.strip()
    if len(q) < 2:
        return []
    by_sku = list(
        Variant.objects.filter(sku__startswith=q.upper())
        .select_related("product")
        .order_by("sku")[:limit]
    )
    products = [p.pk for p in product_suggestions(q=q, limit=limit)]
    by_name = (
        list(
            Variant.objects.filter(product_id__in=products)
            .select_related("product")
            .order_by("product__name", "sku")[:limit]
        )
        if products
        else []
    )
    seen: set[int] = set()
    return [v for v in by_sku + by_name if not (v.pk in seen or seen.add(v.pk))][:limit]


def promotion_target_skus(*, promotion_id: int) -> tuple[list[str], list[str]]:
    """An item code's targets as SKUs: one SKU per whole product (its first), each variant's."""
    products = (
        Variant.objects.filter(
            product__in=Promotion.products.through.objects.filter(promotion_id=promotion_id).values(
                "product_id"
            )
        )
        .order_by("product_id", "sku")
        .distinct("product_id")
        .values_list("sku", flat=True)
    )
    variants = (
        Variant.objects.filter(
            pk__in=Promotion.variants.through.objects.filter(promotion_id=promotion_id).values(
                "variant_id"
            )
        )
        .order_by("sku")
        .values_list("sku", flat=True)
    )
    return sorted(products), list(variants)


def promotion_by_code(*, code: str) -> Promotion | None:
    """The promotion with this code, any case, or None."""
    return (
        Promotion.objects.annotate(code_lower=Lower("code"))
        .filter(code_lower=code.strip().lower())
        .exclude(code="")
        .first()
    )


PER_PAGE = 50
# Newest first.
KEYS = [("id", True)]
_SORT = "-id"


@dataclass
class PromotionPage:
    rows: list[Promotion]
    filterset: PromotionFilter | None
    next_cursor: str | None = None
    previous_cursor: str | None = None

    @property
    def active(self) -> dict:
        return self.filterset.active if self.filterset is not None else {}


def _cursor(promotion: Promotion) -> str:
    return keyset.cursor_encode(_SORT, [promotion.pk])


def _decoded(cursor: str) -> list | None:
    fields = [Promotion._meta.get_field(name) for name, _ in KEYS]
    return keyset.cursor_decode(cursor, _SORT, fields) if cursor else None


def promotion_list(*, filters: Mapping, now: datetime) -> PromotionPage:
    """A page of promotions, newest first, filtered by kind, state (usable now, scheduled,
    ended, off, used up) and code or name; keyset paged by the `after`/`before` cursors.
    One query."""
    filterset = PromotionFilter(filters, queryset=Promotion.objects.all(), now=now)
    filterset.is_valid()
    window = keyset.window(
        filterset.qs,
        KEYS,
        per_page=PER_PAGE,
        after=_decoded(filters.get("after", "")),
        before=_decoded(filters.get("before", "")),
    )
    page = PromotionPage(window.rows, filterset)
    if window.rows:
        page.next_cursor = _cursor(window.rows[-1]) if window.has_next else None
        page.previous_cursor = _cursor(window.rows[0]) if window.has_previous else None
    return page


USE_KEYS = [("used_at", True), ("id", True)]
_USE_SORT = "-used_at"
# Orders sit above this app: a use names its order by id, and the list shows the order's
# number read by SQL, without importing orders.
_ORDER_NUMBER = "(SELECT o.number FROM orders_order o WHERE o.id = promotions_codeuse.order_id)"


def _use_cursor(use: CodeUse) -> str:
    return keyset.cursor_encode(_USE_SORT, [use.used_at, use.pk])


def code_use_list(*, promotion_id: int, filters: Mapping) -> PromotionPage:
    """A page of a promotion's uses, newest first, with each order's number and the customer's
    name; keyset paged by `after`/`before`. One query."""
    names = Profile.objects.filter(pk=OuterRef("customer_id")).annotate(
        full=Concat("first_name", Value(" "), "last_name")
    )
    queryset = CodeUse.objects.filter(
        promotion_id=promotion_id
    ).annotate(
        order_number=RawSQL(_ORDER_NUMBER, []),  # noqa: S611 (a constant, no input)
        customer_name=Subquery(names.values("full")[:1]),
    )
    fields = [CodeUse._meta.get_field(name) for name, _ in USE_KEYS]
    window = keyset.window(
        queryset,
        USE_KEYS,
        per_page=PER_PAGE,
        after=keyset.cursor_decode(filters.get("after", ""), _USE_SORT, fields)
        if filters.get("after")
        else None,
        before=keyset.cursor_decode(filters.get("before", ""), _USE_SORT, fields)
        if filters.get("before")
        else None,
    )
    page = PromotionPage(window.rows, filterset=None)
    if window.rows:
        page.next_cursor = _use_cursor(window.rows[-1]) if window.has_next else None
        page.previous_cursor = _use_cursor(window.rows[0]) if window.has_previous else None
    return page


def tax_rate_list() -> list[TaxRate]:
    """Every tax rate by country, then region (the whole country first)."""
    return list(TaxRate.objects.order_by("country", "region", "id"))
