"""Reads of order entry: the drafts of a user, a draft with all it holds, and its price."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from catalog.models import CatalogSettings, Product, Variant
from customers.models import Address, Profile
from orders.models import Order
from promotions.pricing import CartLine, Destination, Quote
from promotions.selectors import quote_cart
from shipping.models import ShippingMethod

from .models import Draft, DraftAllocation, DraftDestination, DraftLine

DRAFTS_SHOWN = 100
SUGGESTIONS = 10
# The key of the contact's default address while no shipping was chosen yet (items step).
DEFAULT_DESTINATION = "default"


def draft_list(*, owner) -> list[Draft]:
    """The user's drafts, last touched first, with their contact and item count."""
    return list(
        Draft.objects.filter(owner=owner)
        .select_related("profile")
        .annotate(item_count=Count("lines"))
        .order_by("-updated_at", "-id")[:DRAFTS_SHOWN]
    )


def draft_of(*, draft_id: int, owner) -> Draft:
    """The user's draft with its contact, its contact's addresses, its lines (with variants
    and products, their allocations) and destinations: four queries. Http404 for another's."""
    queryset = Draft.objects.select_related("profile").prefetch_related(
        Prefetch(
            "lines",
            queryset=DraftLine.objects.select_related("variant__product").prefetch_related(
                Prefetch("allocations", queryset=DraftAllocation.objects.order_by("id"))
            ),
        ),
        Prefetch(
            "destinations",
            queryset=DraftDestination.objects.select_related("address", "shipping_method"),
        ),
    )
    draft = queryset.filter(pk=draft_id, owner=owner).first()
    if draft is None:
        raise Http404("No such draft: it was placed or discarded.")
    return draft


def contact_addresses(*, profile_id: int | None) -> list[Address]:
    if profile_id is None:
        return []
    return list(
        Address.objects.filter(profile_id=profile_id).order_by("-is_default_shipping", "id")
    )


def contact_suggestions(
    *, q: str, city: str = "", domain: str = "", ordered_before: bool = False
) -> list[Profile]:
    """Contacts to pick from as staff type: the customer search's prefix match (index range
    scans, customers.selectors.profile_search) narrowed by the filter's city, email domain and
    "has ordered before"; with only a filter, the first contacts it matches by name."""
    from customers.selectors import profile_search

    narrow = Q()
    if city:
        narrow &= Exists(Address.objects.filter(profile=OuterRef("pk"), city__iexact=city))
    if domain:
        narrow &= Q(email__iendswith=f"@{domain.lstrip('@')}")
    if ordered_before:
        narrow &= Exists(Order.objects.filter(profile=OuterRef("pk")))
    if q.strip() and not narrow:
        return profile_search(q=q, limit=SUGGESTIONS)
    if not narrow:
        return []
    queryset = Profile.objects.filter(narrow)
    if q.strip():
        ids = [p.pk for p in profile_search(q=q, limit=200)]
        queryset = queryset.filter(pk__in=ids)
    return list(queryset.order_by("last_name", "first_name", "id")[:SUGGESTIONS])


def product_variants(*, product_id: int) -> Product:
    """An active product with its variants, for the add-item dialog; Http404 if none."""
    product = (
        Product.objects.filter(pk=product_id, is_active=True)
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("sku")))
        .first()
    )
    if product is None:
        raise Http404("No such product.")
    return product


def active_shipping_methods() -> list[ShippingMethod]:
    return list(ShippingMethod.objects.filter(is_active=True).order_by("position", "name"))


def allows_backorders() -> bool:
    return CatalogSettings.load().allow_backorders


def ships_anything(draft: Draft) -> bool:
    return any(line.variant.product.is_shippable for line in draft.lines.all())


def awaits_shipping(draft: Draft) -> bool:
    """Whether an item that ships has not been given an address yet."""
    return any(
        line.variant.product.is_shippable and not line.allocations.all()
        for line in draft.lines.all()
    )


def gross_subtotal(draft: Draft) -> Decimal:
    return sum((line.unit_price * line.quantity for line in draft.lines.all()), Decimal(0))


def shipping_price(method: ShippingMethod | None, subtotal: Decimal) -> Decimal:
    """The speed's price for an order of `subtotal`: free from its threshold, if it has one."""
    if method is None:
        return Decimal(0)
    if method.free_from_subtotal is not None and subtotal >= method.free_from_subtotal:
        return Decimal(0)
    return method.price


@dataclass(frozen=True)
class Cart:
    """A draft as promotions' pricing reads it: one cart line per line and address."""

    lines: tuple[CartLine, ...]
    destinations: tuple[Destination, ...]


def draft_cart(draft: Draft, addresses: list[Address]) -> Cart:
    """Shippable lines go where their allocations say; before the shipping step (none yet),
    to the contact's default address, so the items step shows the tax it will likely have."""
    subtotal = gross_subtotal(draft)
    destinations = [
        Destination(
            key=f"d{d.pk}",
            country=d.address.country,
            region=d.address.region,
            shipping_price=shipping_price(d.shipping_method, subtotal),
        )
        for d in draft.destinations.all()
    ]
    default = addresses[0] if addresses else None
    if default is not None:
        destinations.append(
            Destination(DEFAULT_DESTINATION, default.country, default.region, Decimal(0))
        )
    lines = []
    for line in draft.lines.all():
        lines.extend(_cart_lines(line, default is not None))
    return Cart(tuple(lines), tuple(destinations))


def _cart_lines(line: DraftLine, has_default: bool) -> list[CartLine]:
    def cart_line(key: str, quantity: int, destination: str) -> CartLine:
        return CartLine(
            key=key,
            product_id=line.variant.product_id,
            variant_id=line.variant_id,
            unit_price=line.unit_price,
            quantity=quantity,
            destination=destination,
            is_shippable=line.variant.product.is_shippable,
            promotion_id=line.promotion_id,
        )

    allocations = list(line.allocations.all())
    if not line.variant.product.is_shippable:
        return [cart_line(str(line.pk), line.quantity, "")]
    if allocations:
        return [
            cart_line(f"{line.pk}:d{a.destination_id}", a.quantity, f"d{a.destination_id}")
            for a in allocations
        ]
    return [cart_line(str(line.pk), line.quantity, DEFAULT_DESTINATION if has_default else "")]


def draft_quote(draft: Draft, addresses: list[Address], *, codes: list[str] | None = None) -> Quote:
    """The draft priced by promotions (codes, taxes by address, free shipping) as of now."""
    cart = draft_cart(draft, addresses)
    return quote_cart(
        lines=cart.lines,
        destinations=cart.destinations,
        codes=draft.codes if codes is None else codes,
        customer_id=draft.profile_id,
        now=timezone.now(),
    )


def currency() -> str:
    return settings.STORE_CURRENCY


def last_card_token(*, profile_id: int | None) -> str:
    """The card token of the contact's latest order that had one (to charge the same card)."""
    if profile_id is None:
        return ""
    token = (
        Order.objects.filter(profile_id=profile_id)
        .exclude(payment_token="")
        .order_by("-placed_at", "-id")
        .values_list("payment_token", flat=True)
        .first()
    )
    return token or ""


@dataclass(frozen=True)
class LineRow:
    line: DraftLine
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def _priced_by_line(quote: Quote) -> dict[str, list]:
    by_line: dict[str, list] = {}
    for priced in quote.lines:
        by_line.setdefault(priced.key.split(":")[0], []).append(priced)
    return by_line


def line_rows(draft: Draft, quote: Quote) -> list[LineRow]:
    """Each item with its price from the quote (its parts over addresses added up)."""
    by_line = _priced_by_line(quote)
    rows = []
    for line in draft.lines.all():
        parts = by_line.get(str(line.pk), [])
        rows.append(
            LineRow(
                line=line,
                subtotal=sum((p.subtotal for p in parts), Decimal(0)),
                discount=sum((p.discount for p in parts), Decimal(0)),
                tax=sum((p.tax for p in parts), Decimal(0)),
                total=sum((p.total for p in parts), Decimal(0)),
            )
        )
    return rows


@dataclass(frozen=True)
class PlanRow:
    line: DraftLine
    cells: list  # (address, quantity, is_gift) per address of the contact


def shipping_plan(draft: Draft, addresses: list[Address]) -> dict:
    """What the shipping step shows as chosen: the single address (the one used, else the
    default), each shippable item's quantity and gift flag per address, each address's speed."""
    destinations = {d.address_id: d for d in draft.destinations.all()}
    chosen = next(iter(destinations), addresses[0].pk if addresses else None)
    rows = []
    for line in draft.lines.all():
        if not line.variant.product.is_shippable:
            continue
        given = {a.destination.address_id: a for a in _allocations(line, draft)}
        cells = []
        for address in addresses:
            allocation = given.get(address.pk)
            if allocation is not None:
                cells.append((address, allocation.quantity, allocation.is_gift))
            else:
                fallback = line.quantity if not given and address.pk == chosen else 0
                cells.append((address, fallback, False))
        rows.append(PlanRow(line, cells))
    speeds = {
        a.pk: (destinations[a.pk].shipping_method_id if a.pk in destinations else None)
        for a in addresses
    }
    return {"chosen": chosen, "rows": rows, "speeds": speeds}


def _allocations(line: DraftLine, draft: Draft) -> list[DraftAllocation]:
    by_id = {d.pk: d for d in draft.destinations.all()}
    allocations = list(line.allocations.all())
    for allocation in allocations:
        allocation.destination = by_id[allocation.destination_id]
    return allocations


@dataclass(frozen=True)
class ReviewGroup:
    address: Address | None  # None: the items that do not ship
    method: ShippingMethod | None
    shipping: Decimal
    items: list  # (line, quantity, is_gift, priced line)


def review_groups(draft: Draft, quote: Quote) -> list[ReviewGroup]:
    """The lines grouped by the address they ship to, with gift flags and their speed."""
    priced = {p.key: p for p in quote.lines}
    shipped = {p.key: p for p in quote.destinations}
    groups = []
    for destination in draft.destinations.all():
        key = f"d{destination.pk}"
        items = [
            (line, a.quantity, a.is_gift, priced.get(f"{line.pk}:{key}"))
            for line in draft.lines.all()
            for a in line.allocations.all()
            if a.destination_id == destination.pk
        ]
        ship = shipped.get(key)
        groups.append(
            ReviewGroup(
                destination.address,
                destination.shipping_method,
                ship.shipping if ship else Decimal(0),
                items,
            )
        )
    digital = [
        (line, line.quantity, False, priced.get(str(line.pk)))
        for line in draft.lines.all()
        if not line.variant.product.is_shippable
    ]
    if digital:
        groups.append(ReviewGroup(None, None, Decimal(0), digital))
    return groups
