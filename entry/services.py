"""Every write of order entry but placing (entry.placing): a draft's steps, each saved at once.

Each refuses bad input with EntryError naming the field and what to do, and changes nothing
then. None touches stock, codes or order numbers: a draft holds choices, not commitments.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from catalog.models import Variant
from customers.models import Address, Profile
from customers.services import CustomerError, address_add, profile_create
from promotions.models import Promotion
from promotions.selectors import promotion_by_code, promotion_choices, promotion_items
from shipping.models import ShippingMethod

from .models import Draft, DraftAllocation, DraftDestination, DraftLine
from .selectors import allows_backorders, contact_addresses, draft_of, draft_quote

MAX_QUANTITY = 10_000
MAX_CODES = 10


class EntryError(Exception):
    """An order-entry rule was broken; the message is fit to show staff. `field` names the
    input it is about ("" for the draft as a whole)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


def _locked(draft_id: int, owner) -> Draft:
    draft = Draft.objects.select_for_update().filter(pk=draft_id, owner=owner).first()
    if draft is None:
        raise EntryError("This draft was placed or discarded.")
    return draft


def _touch(draft: Draft, step: str | None = None) -> None:
    """Saved at every step: updated_at moves (Drafts lists it), and the step to resume at."""
    if step:
        draft.step = step
    draft.save(update_fields=["step", "updated_at"])


def draft_create(*, owner) -> Draft:
    return Draft.objects.create(owner=owner)


@transaction.atomic
def draft_discard(*, draft_id: int, owner) -> None:
    """Delete the draft and all it holds; nothing else was ever touched by it."""
    _locked(draft_id, owner).delete()


@transaction.atomic
def draft_contact_set(*, draft_id: int, owner, profile_id: int) -> Draft:
    """Choose the order's contact. Moving on needs an address (draft_contact_confirm)."""
    draft = _locked(draft_id, owner)
    if not Profile.objects.filter(pk=profile_id).exists():
        raise EntryError("That contact no longer exists: search again.", "contact")
    if draft.profile_id != profile_id:
        draft.destinations.all().delete()  # another contact's addresses
        draft.profile_id = profile_id
        draft.codes = []  # per-customer limits change with the contact: checked afresh
        draft.save(update_fields=["profile", "codes", "updated_at"])
    return draft


@transaction.atomic
def draft_contact_create(*, draft_id: int, owner, **fields) -> Profile:
    """Create a contact inline and choose it for the draft."""
    _locked(draft_id, owner)
    try:
        profile = profile_create(**fields)
    except CustomerError as exc:
        raise EntryError(str(exc), "first_name") from exc
    draft_contact_set(draft_id=draft_id, owner=owner, profile_id=profile.pk)
    return profile


@transaction.atomic
def draft_address_add(*, draft_id: int, owner, **fields) -> Address:
    """Add an address to the draft's contact; their first becomes the default."""
    draft = _locked(draft_id, owner)
    if draft.profile_id is None:
        raise EntryError("Choose a contact first.", "contact")
    profile = Profile.objects.get(pk=draft.profile_id)
    first = not profile.addresses.exists()
    address = address_add(profile=profile, default_shipping=first, default_billing=first, **fields)
    _touch(draft)
    return address


@transaction.atomic
def draft_contact_confirm(*, draft_id: int, owner) -> Draft:
    """Go on to the items: the contact must have an address (seed 003)."""
    draft = _locked(draft_id, owner)
    if draft.profile_id is None:
        raise EntryError("Choose a contact for the order first.", "contact")
    if not Address.objects.filter(profile_id=draft.profile_id).exists():
        raise EntryError(
            "This contact has no address: add one below to go on with the order.", "contact"
        )
    _touch(draft, Draft.Step.ITEMS)
    return draft


def _checked_quantity(quantity: int) -> int:
    if quantity < 1:
        raise EntryError("Quantity must be at least 1.", "quantity")
    if quantity > MAX_QUANTITY:
        raise EntryError(f"Quantity must be at most {MAX_QUANTITY:,}.", "quantity")
    return quantity


def _checked_variant(variant_id: int | None, quantity: int, *, already: int = 0) -> Variant:
    """The variant to add `quantity` of (on top of `already` on the draft), if it can be sold."""
    if variant_id is None:
        raise EntryError("Choose the item's variant (its options) before adding it.", "variant")
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None or not variant.product.is_active:
        raise EntryError("That item is no longer sold: choose another.", "variant")
    wanted = quantity + already
    if variant.track_stock and wanted > variant.stock and not allows_backorders():
        raise EntryError(
            f"Only {variant.stock} of {variant.sku} in stock ({wanted} wanted), and the store "
            "does not take backorders.",
            "quantity",
        )
    return variant


def _lines_changed(draft: Draft) -> None:
    """Items changed: where each goes, and how fast, is asked again on the shipping step."""
    draft.destinations.all().delete()  # their allocations go with them
    _touch(draft, Draft.Step.ITEMS)


def _others_of(draft: Draft, variant_id: int | None, line_id: int | None = None) -> int:
    lines = draft.lines.filter(variant_id=variant_id)
    if line_id is not None:
        lines = lines.exclude(pk=line_id)
    return sum(line.quantity for line in lines)


@transaction.atomic
def draft_line_add(*, draft_id: int, owner, variant_id: int | None, quantity: int) -> DraftLine:
    """Add an item at its price now. Refused: no variant chosen, not sold, short of stock when
    the store takes no backorders (counting what the draft already has of it)."""
    draft = _locked(draft_id, owner)
    quantity = _checked_quantity(quantity)
    variant = _checked_variant(variant_id, quantity, already=_others_of(draft, variant_id))
    line = DraftLine.objects.create(
        draft=draft, variant=variant, quantity=quantity, unit_price=variant.price
    )
    _lines_changed(draft)
    return line


def _own_line(draft: Draft, line_id: int) -> DraftLine:
    line = draft.lines.filter(pk=line_id).first()
    if line is None:
        raise EntryError("That item is no longer on the draft.")
    if line.promotion_id is not None:
        raise EntryError(
            "This item came with a product promotion: remove the promotion to remove it."
        )
    return line


@transaction.atomic
def draft_line_edit(
    *, draft_id: int, owner, line_id: int, variant_id: int | None, quantity: int
) -> DraftLine:
    """Change an item's variant or quantity; it takes the variant's price now."""
    draft = _locked(draft_id, owner)
    line = _own_line(draft, line_id)
    quantity = _checked_quantity(quantity)
    variant = _checked_variant(variant_id, quantity, already=_others_of(draft, variant_id, line_id))
    line.variant, line.quantity, line.unit_price = variant, quantity, variant.price
    line.save(update_fields=["variant", "quantity", "unit_price"])
    _lines_changed(draft)
    return line


@transaction.atomic
def draft_line_remove(*, draft_id: int, owner, line_id: int) -> None:
    draft = _locked(draft_id, owner)
    _own_line(draft, line_id).delete()
    _lines_changed(draft)


@transaction.atomic
def draft_promotion_add(*, draft_id: int, owner, promotion_id: int) -> int:
    """Add a product promotion's own items (their discounts come from pricing); the number of
    lines added. A promotion is on a draft once."""
    draft = _locked(draft_id, owner)
    if not any(p.pk == promotion_id for p in promotion_choices(now=timezone.now())):
        raise EntryError("That promotion is not running now: choose another.", "promotion")
    if draft.lines.filter(promotion_id=promotion_id).exists():
        raise EntryError("That promotion is on the order already.", "promotion")
    items = promotion_items(promotion_id=promotion_id)
    variants = Variant.objects.in_bulk([item.variant_id for item in items])
    lines = DraftLine.objects.bulk_create(
        DraftLine(
            draft=draft,
            variant_id=item.variant_id,
            quantity=item.quantity,
            unit_price=variants[item.variant_id].price,
            promotion_id=promotion_id,
        )
        for item in items
    )
    _lines_changed(draft)
    return len(lines)


@transaction.atomic
def draft_promotion_remove(*, draft_id: int, owner, promotion_id: int) -> int:
    """Remove a product promotion and every item it added; how many went."""
    draft = _locked(draft_id, owner)
    removed, _ = draft.lines.filter(promotion_id=promotion_id).delete()
    _lines_changed(draft)
    return removed


@transaction.atomic
def draft_code_add(*, draft_id: int, owner, code: str) -> str:
    """Enter a promo code. Priced with it first: a code promotions refuse (unknown, expired,
    used up, minimum not met, does not combine…) is not kept, and the reason is raised. A
    product promotion's code adds the promotion (its items), as picking it does."""
    draft = _locked(draft_id, owner)
    code = code.strip()
    if not code:
        raise EntryError("Enter a code.", "code")
    promotion = promotion_by_code(code=code)
    if promotion is not None and promotion.kind == Promotion.Kind.PRODUCT:
        draft_promotion_add(draft_id=draft_id, owner=owner, promotion_id=promotion.pk)
        return code
    if code.upper() in (c.upper() for c in draft.codes):
        raise EntryError(f"“{code}” is on the order already.", "code")
    if len(draft.codes) >= MAX_CODES:
        raise EntryError(f"At most {MAX_CODES} codes on one order.", "code")
    full = draft_of(draft_id=draft.pk, owner=owner)
    quote = draft_quote(
        full, contact_addresses(profile_id=draft.profile_id), codes=[*draft.codes, code]
    )
    refused = next((r for r in quote.refused if r.code.upper() == code.upper()), None)
    if refused is not None:
        raise EntryError(f"“{code}” was not applied: {refused.message}", "code")
    draft.codes = [*draft.codes, code]
    draft.save(update_fields=["codes", "updated_at"])
    return code


@transaction.atomic
def draft_code_remove(*, draft_id: int, owner, code: str) -> None:
    draft = _locked(draft_id, owner)
    draft.codes = [c for c in draft.codes if c.upper() != code.strip().upper()]
    draft.save(update_fields=["codes", "updated_at"])


@dataclass(frozen=True)
class Allocation:
    line_id: int
    address_id: int
    quantity: int
    is_gift: bool = False


@transaction.atomic
def draft_shipping_set(
    *,
    draft_id: int,
    owner,
    allocations: list[Allocation],
    speeds: dict[int, int | None],
    ship_to_many: bool = False,
) -> Draft:
    """Where each shippable item goes (quantities may be split over addresses) and the speed
    of each address (`speeds`: address id → shipping method id). Every unit of every shippable
    line must go to one of the contact's addresses, and each address used needs a speed."""
    draft = _locked(draft_id, owner)
    full = draft_of(draft_id=draft.pk, owner=owner)
    addresses = {a.pk: a for a in contact_addresses(profile_id=draft.profile_id)}
    _check_allocations(full, allocations, addresses)
    used = sorted({a.address_id for a in allocations})
    methods = ShippingMethod.objects.filter(is_active=True).in_bulk()
    for address_id in used:
        if speeds.get(address_id) not in methods:
            raise EntryError(
                f"Choose a shipping speed for {addresses[address_id]}.", f"speed_{address_id}"
            )
    draft.destinations.exclude(address_id__in=used).delete()
    DraftAllocation.objects.filter(line__draft=draft).delete()
    destinations = {}
    for address_id in used:
        destinations[address_id], _ = DraftDestination.objects.update_or_create(
            draft=draft, address_id=address_id, defaults={"shipping_method_id": speeds[address_id]}
        )
    DraftAllocation.objects.bulk_create(
        DraftAllocation(
            line_id=a.line_id,
            destination=destinations[a.address_id],
            quantity=a.quantity,
            is_gift=a.is_gift,
        )
        for a in allocations
        if a.quantity
    )
    draft.ship_to_many = ship_to_many
    draft.step = Draft.Step.REVIEW
    draft.save(update_fields=["ship_to_many", "step", "updated_at"])
    return draft


def _check_allocations(draft: Draft, allocations: list[Allocation], addresses: dict) -> None:
    shippable = {line.pk: line for line in draft.lines.all() if line.variant.product.is_shippable}
    sent: dict[int, int] = {}
    for a in allocations:
        if a.line_id not in shippable:
            raise EntryError("That item is no longer on the draft: reload the page.")
        if a.address_id not in addresses:
            raise EntryError("Choose one of the contact's addresses.", "address")
        if a.quantity < 0:
            raise EntryError("Quantities cannot be negative.", f"qty_{a.line_id}")
        sent[a.line_id] = sent.get(a.line_id, 0) + a.quantity
    for line_id, line in shippable.items():
        if sent.get(line_id, 0) != line.quantity:
            raise EntryError(
                f"{line.variant.display_name}: {sent.get(line_id, 0)} of {line.quantity} "
                "assigned to addresses; assign every unit once.",
                f"qty_{line_id}",
            )


@transaction.atomic
def draft_items_confirm(*, draft_id: int, owner) -> str:
    """Go on from the items: the step next, Shipping details if anything ships, else Review
    (seed 003 skips shipping when nothing ships)."""
    draft = _locked(draft_id, owner)
    lines = list(draft.lines.select_related("variant__product"))
    if not lines:
        raise EntryError("Add at least one item to go on.", "items")
    ships = any(line.variant.product.is_shippable for line in lines)
    if not ships:
        draft.destinations.all().delete()
    step = Draft.Step.SHIPPING if ships else Draft.Step.REVIEW
    _touch(draft, step)
    return step
