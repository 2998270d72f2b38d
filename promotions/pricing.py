"""The pricing engine: a cart, its destinations and the loaded rules in, a `Quote` out.

Pure (no queries): exact `Decimal` arithmetic, every amount quantized to the currency's
places with ROUND_HALF_UP. The order of work, which is also what staff read on the
promotions page (`COMBINATION_RULES`):

1. each line's subtotal; product-promotion lines take their promotion's unit discount, other
   lines the largest matching item-code discount per unit (item discounts do not stack);
2. one order code: % or fixed off what is left, spread over the lines in proportion by largest
   remainder, so the line discounts sum exactly to it; nothing is discounted below zero;
3. one free-shipping code zeroes every destination's shipping;
4. tax per line on (subtotal − discount) at its destination's rate (a region's rate wins over
   its country's), and on shipping when the store taxes shipping.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

ZERO = Decimal("0")
HUNDRED = Decimal("100")

ITEM_CODE = "item_code"
PRODUCT = "product"
ORDER_CODE = "order_code"
FREE_SHIPPING = "free_shipping"
PERCENT = "percent"
FIXED = "fixed"

COMBINATION_RULES = (
    "Item promo codes combine with one order promo code and one free-shipping code.",
    "A line gets the largest of the item discounts that match it: item codes do not stack.",
    "Two order promo codes do not combine, nor do two free-shipping codes: the first one "
    "entered applies.",
    "Product promotions combine with everything; their own lines take only their own discount.",
    "Minimum spends are checked against the items' subtotal after item and product-promotion "
    "discounts, before the order discount.",
    "Tax is charged after discounts, by each line's shipping address (a region's rate wins "
    "over its country's).",
)


class RefusalReason(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INACTIVE = "inactive"
    USED_UP = "used_up"
    MINIMUM_NOT_MET = "minimum_not_met"
    NOT_FOR_CUSTOMER = "not_for_customer"
    DOES_NOT_COMBINE = "does_not_combine"
    NO_MATCHING_ITEMS = "no_matching_items"


@dataclass(frozen=True)
class CartLine:
    key: str
    product_id: int
    variant_id: int
    unit_price: Decimal
    quantity: int
    destination: str
    is_shippable: bool
    promotion_id: int | None = None


@dataclass(frozen=True)
class Destination:
    """Where lines go. A destination keyed "" (the contact's own address) taxes the lines that
    do not ship; without one they are not taxed."""

    key: str
    country: str
    region: str
    shipping_price: Decimal


@dataclass(frozen=True)
class PricedLine:
    key: str
    subtotal: Decimal
    item_discount: Decimal
    order_discount: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class PricedDestination:
    key: str
    shipping: Decimal
    shipping_tax: Decimal


@dataclass(frozen=True)
class AppliedCode:
    promotion_id: int
    code: str
    kind: str
    amount: Decimal
    label: str


@dataclass(frozen=True)
class RefusedCode:
    code: str
    reason: RefusalReason
    message: str


@dataclass(frozen=True)
class Quote:
    lines: tuple[PricedLine, ...]
    destinations: tuple[PricedDestination, ...]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    applied: tuple[AppliedCode, ...]
    refused: tuple[RefusedCode, ...]

    @property
    def applied_ids(self) -> tuple[int, ...]:
        """The promotions to redeem when the order is placed (services.code_uses_redeem)."""
        return tuple(a.promotion_id for a in self.applied)


@dataclass(frozen=True)
class PromotionRule:
    """One promotion as the engine needs it, with this customer's uses of it so far."""

    id: int
    kind: str
    name: str
    code: str = ""
    discount_type: str = PERCENT
    amount: Decimal = ZERO
    minimum_subtotal: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    is_active: bool = True
    usage_limit: int | None = None
    uses: int = 0
    per_customer_limit: int | None = None
    customer_uses: int = 0
    product_ids: frozenset[int] = frozenset()
    variant_ids: frozenset[int] = frozenset()
    # Product promotions: variant id → unit discount.
    items: Mapping[int, Decimal] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.code.upper() if self.code else self.name


@dataclass(frozen=True)
class PricingRules:
    """Everything the engine reads: the promotions by (lowercased) code and by id, tax rates by
    (country, lowercased region, "" for the whole country), whether shipping is taxed."""

    now: datetime
    promotions: Mapping[int, PromotionRule] = field(default_factory=dict)
    codes: Mapping[str, int] = field(default_factory=dict)
    tax_rates: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    tax_shipping: bool = False
    places: int = 2
    # The codes as entered, in order: what `quote` applies when not given codes of its own.
    entered: tuple[str, ...] = ()

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.places)

    def tax_rate(self, destination: Destination | None) -> Decimal:
        if destination is None:
            return ZERO
        country = destination.country.strip().upper()
        region = destination.region.strip().lower()
        if region and (country, region) in self.tax_rates:
            return self.tax_rates[(country, region)]
        return self.tax_rates.get((country, ""), ZERO)


def money(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def spread(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """`total` split in proportion to `weights`, each share a whole number of `quantum`s and
    the shares summing exactly to `total` (largest remainder: the cents left over after
    rounding every share down go one each to the largest remainders, ties to the first)."""
    whole = sum(weights, ZERO)
    if whole <= 0 or total <= 0:
        return [money(ZERO, quantum) for _ in weights]
    exact = [total * w / whole for w in weights]
    shares = [e.quantize(quantum, rounding=ROUND_DOWN) for e in exact]
    left = int((total - sum(shares, ZERO)) / quantum)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += quantum
    return shares


MESSAGES = {
    RefusalReason.UNKNOWN: "There is no promotion with the code “{code}”.",
    RefusalReason.EXPIRED: "“{code}” ended on {ends}.",
    RefusalReason.NOT_YET_VALID: "“{code}” starts on {starts}.",
    RefusalReason.INACTIVE: "“{code}” is switched off.",
    RefusalReason.USED_UP: "“{code}” is used up: all {limit} of its uses are taken.",
    RefusalReason.MINIMUM_NOT_MET: "“{code}” needs items worth at least {minimum}; "
    "this order has {spend}.",
    RefusalReason.NOT_FOR_CUSTOMER: "This customer has already used “{code}” "
    "{per_customer} time(s), its limit per customer.",
    RefusalReason.DOES_NOT_COMBINE: "“{code}” does not combine with “{other}”: "
    "only one {kind} applies to an order.",
    RefusalReason.NO_MATCHING_ITEMS: "“{code}” applies to none of the items on this order.",
}


def refusal(rule: PromotionRule | None, code: str, reason: RefusalReason, **extra) -> RefusedCode:
    facts = {"code": rule.label if rule else code.strip(), **extra}
    if rule is not None:
        facts.update(
            ends=f"{rule.ends_at:%b %-d, %Y %H:%M}" if rule.ends_at else "",
            starts=f"{rule.starts_at:%b %-d, %Y %H:%M}" if rule.starts_at else "",
            limit=rule.usage_limit,
            per_customer=rule.per_customer_limit,
        )
    return RefusedCode(code=facts["code"], reason=reason, message=MESSAGES[reason].format(**facts))


def availability(rule: PromotionRule, now: datetime) -> RefusalReason | None:
    """Why the promotion cannot be used at all now, or None: before any cart rule."""
    if not rule.is_active:
        return RefusalReason.INACTIVE
    if rule.starts_at is not None and now < rule.starts_at:
        return RefusalReason.NOT_YET_VALID
    if rule.ends_at is not None and now >= rule.ends_at:
        return RefusalReason.EXPIRED
    if rule.usage_limit is not None and rule.uses >= rule.usage_limit:
        return RefusalReason.USED_UP
    if rule.per_customer_limit is not None and rule.customer_uses >= rule.per_customer_limit:
        return RefusalReason.NOT_FOR_CUSTOMER
    return None


@dataclass
class _Work:
    """The quote being built: per line item and order discounts, the codes' outcomes."""

    lines: Sequence[CartLine]
    rules: PricingRules
    item: list[Decimal]
    order: list[Decimal]
    applied: list[AppliedCode] = field(default_factory=list)
    refused: list[RefusedCode] = field(default_factory=list)
    free_shipping: bool = False

    @property
    def quantum(self) -> Decimal:
        return self.rules.quantum

    def subtotal(self, i: int) -> Decimal:
        line = self.lines[i]
        return money(line.unit_price * line.quantity, self.quantum)

    def spend(self) -> Decimal:
        """What minimums are checked against: items after item and promotion discounts."""
        return sum((self.subtotal(i) - self.item[i] for i in range(len(self.lines))), ZERO)

    def apply(self, rule: PromotionRule, amount: Decimal) -> None:
        self.applied.append(AppliedCode(rule.id, rule.code, rule.kind, amount, _label(rule)))


def _label(rule: PromotionRule) -> str:
    if rule.kind == FREE_SHIPPING:
        return f"{rule.name}: free shipping"
    if rule.kind == PRODUCT:
        return rule.name
    off = f"{rule.amount.normalize():f}%" if rule.discount_type == PERCENT else f"{rule.amount}"
    return f"{rule.name}: {off} off"


def _unit_discount(rule: PromotionRule, unit_price: Decimal, quantum: Decimal) -> Decimal:
    if rule.discount_type == PERCENT:
        return min(money(unit_price * rule.amount / HUNDRED, quantum), unit_price)
    return min(rule.amount, unit_price)


def _matches(rule: PromotionRule, line: CartLine) -> bool:
    return line.promotion_id is None and (
        line.product_id in rule.product_ids or line.variant_id in rule.variant_ids
    )


def _product_promotions(work: _Work, promotion_ids: Iterable[int]) -> None:
    """Lines a product promotion added take its unit discount, if it may still be used."""
    for promotion_id in promotion_ids:
        rule = work.rules.promotions.get(promotion_id)
        if rule is None:
            work.refused.append(refusal(None, f"promotion {promotion_id}", RefusalReason.UNKNOWN))
            continue
        reason = availability(rule, work.rules.now)
        if reason is not None:
            work.refused.append(refusal(rule, rule.label, reason))
            continue
        total = ZERO
        for i, line in enumerate(work.lines):
            if line.promotion_id == rule.id:
                unit = min(rule.items.get(line.variant_id, ZERO), line.unit_price)
                work.item[i] = min(money(unit * line.quantity, work.quantum), work.subtotal(i))
                total += work.item[i]
        work.apply(rule, total)


def _item_codes(work: _Work, rules: Sequence[PromotionRule]) -> None:
    """Each line takes the largest matching item-code discount (they do not stack); a code
    matching no line is refused. A code whose lines all took a better one applies for 0."""
    best: dict[int, tuple[Decimal, int]] = {}
    for rule in rules:
        for i, line in enumerate(work.lines):
            if _matches(rule, line):
                unit = _unit_discount(rule, line.unit_price, work.quantum)
                amount = min(money(unit * line.quantity, work.quantum), work.subtotal(i))
                if i not in best or amount > best[i][0]:
                    best[i] = (amount, rule.id)
    for rule in rules:
        won = [i for i, (_, rule_id) in best.items() if rule_id == rule.id]
        if not any(_matches(rule, line) for line in work.lines):
            work.refused.append(refusal(rule, rule.code, RefusalReason.NO_MATCHING_ITEMS))
            continue
        for i in won:
            work.item[i] = best[i][0]
        work.apply(rule, sum((best[i][0] for i in won), ZERO))


def _minimum_refusal(work: _Work, rule: PromotionRule) -> RefusedCode | None:
    spend = work.spend()
    if rule.minimum_subtotal is not None and spend < rule.minimum_subtotal:
        return refusal(
            rule,
            rule.code,
            RefusalReason.MINIMUM_NOT_MET,
            minimum=f"{rule.minimum_subtotal:.{work.rules.places}f}",
            spend=f"{spend:.{work.rules.places}f}",
        )
    return None


def _one_of(work: _Work, rules: Sequence[PromotionRule], kind_label: str):
    """The first rule of a kind that passes its minimum; later ones do not combine with it."""
    chosen = None
    for rule in rules:
        if chosen is not None:
            work.refused.append(
                refusal(
                    rule,
                    rule.code,
                    RefusalReason.DOES_NOT_COMBINE,
                    other=chosen.label,
                    kind=kind_label,
                )
            )
            continue
        refused = _minimum_refusal(work, rule)
        if refused is not None:
            work.refused.append(refused)
        else:
            chosen = rule
    return chosen


def _order_code(work: _Work, rules: Sequence[PromotionRule]) -> None:
    rule = _one_of(work, rules, "order promo code")
    if rule is None:
        return
    nets = [work.subtotal(i) - work.item[i] for i in range(len(work.lines))]
    base = sum(nets, ZERO)
    if rule.discount_type == PERCENT:
        amount = money(base * rule.amount / HUNDRED, work.quantum)
    else:
        amount = min(rule.amount, base)
    work.order = spread(amount, nets, work.quantum)
    work.apply(rule, amount)


def _free_shipping(work: _Work, rules, destinations: Sequence[Destination]) -> None:
    if rules and not any(line.is_shippable for line in work.lines):
        for rule in rules:
            work.refused.append(refusal(rule, rule.code, RefusalReason.NO_MATCHING_ITEMS))
        return
    rule = _one_of(work, rules, "free-shipping code")
    if rule is not None:
        work.free_shipping = True
        work.apply(rule, sum((d.shipping_price for d in destinations), ZERO))


def _sort_codes(work: _Work, codes: Sequence[str]) -> dict[str, list[PromotionRule]]:
    """The entered codes, once each, by kind; unknown and unusable ones refused."""
    by_kind: dict[str, list[PromotionRule]] = {ITEM_CODE: [], ORDER_CODE: [], FREE_SHIPPING: []}
    seen: set[str] = set()
    for code in codes:
        key = code.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        rule = work.rules.promotions.get(work.rules.codes.get(key, -1))
        if rule is None:
            work.refused.append(refusal(None, code, RefusalReason.UNKNOWN))
            continue
        if rule.kind == PRODUCT:
            continue  # applied through the lines it added (promotion_id), or not at all
        reason = availability(rule, work.rules.now)
        if reason is not None:
            work.refused.append(refusal(rule, code, reason))
            continue
        by_kind[rule.kind].append(rule)
    return by_kind


def _product_codes_without_lines(work: _Work, codes: Sequence[str], used: set[int]) -> None:
    for code in codes:
        rule = work.rules.promotions.get(work.rules.codes.get(code.strip().lower(), -1))
        if rule is not None and rule.kind == PRODUCT and rule.id not in used:
            work.refused.append(refusal(rule, code, RefusalReason.NO_MATCHING_ITEMS))


def _priced_lines(work: _Work, by_key: Mapping[str, Destination]) -> list[PricedLine]:
    priced = []
    for i, line in enumerate(work.lines):
        subtotal = work.subtotal(i)
        discount = work.item[i] + work.order[i]
        rate = work.rules.tax_rate(by_key.get(line.destination))
        tax = money((subtotal - discount) * rate / HUNDRED, work.quantum)
        priced.append(
            PricedLine(
                key=line.key,
                subtotal=subtotal,
                item_discount=work.item[i],
                order_discount=work.order[i],
                discount=discount,
                tax_rate=rate,
                tax=tax,
                total=subtotal - discount + tax,
            )
        )
    return priced


def _priced_destinations(work: _Work, destinations: Sequence[Destination]):
    priced = []
    for destination in destinations:
        shipping = ZERO if work.free_shipping else money(destination.shipping_price, work.quantum)
        rate = work.rules.tax_rate(destination) if work.rules.tax_shipping else ZERO
        tax = money(shipping * rate / HUNDRED, work.quantum)
        priced.append(PricedDestination(destination.key, shipping, tax))
    return priced


def quote(
    lines: Sequence[CartLine],
    destinations: Sequence[Destination],
    rules: PricingRules,
    codes: Sequence[str] | None = None,
) -> Quote:
    """The priced cart. Never raises for a bad code: it is in `refused`, with its reason.
    `codes` default to the ones the rules were loaded for (`rules.entered`)."""
    codes = rules.entered if codes is None else codes
    zero = money(ZERO, rules.quantum)
    work = _Work(lines, rules, item=[zero] * len(lines), order=[zero] * len(lines))
    promotion_ids = list(dict.fromkeys(ln.promotion_id for ln in lines if ln.promotion_id))
    _product_promotions(work, promotion_ids)
    _product_codes_without_lines(work, codes, set(promotion_ids))
    by_kind = _sort_codes(work, codes)
    _item_codes(work, by_kind[ITEM_CODE])
    _order_code(work, by_kind[ORDER_CODE])
    _free_shipping(work, by_kind[FREE_SHIPPING], destinations)
    priced = _priced_lines(work, {d.key: d for d in destinations})
    shipped = _priced_destinations(work, destinations)
    subtotal = sum((p.subtotal for p in priced), ZERO)
    discount = sum((p.discount for p in priced), ZERO)
    shipping = sum((d.shipping for d in shipped), ZERO)
    tax = sum((p.tax for p in priced), ZERO) + sum((d.shipping_tax for d in shipped), ZERO)
    return Quote(
        lines=tuple(priced),
        destinations=tuple(shipped),
        subtotal=subtotal,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        total=subtotal - discount + shipping + tax,
        applied=tuple(work.applied),
        refused=tuple(work.refused),
    )
