"""Intake: orders pushed in by the storefront (`online`) and the register (`in_store`).

`intake_submit` is the whole request as one transaction: claim the Idempotency-Key, check the
store's rules, create the order. `intake_validate` turns a parsed payload into an `OrderDraft`
or reports every broken rule at once; `order_create` writes a draft.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import CatalogSettings, Variant
from catalog.services import OutOfStock
from customers.services import member_profile_upsert

from . import risk
from .actors import Actor
from .models import (
    MONEY,
    ApiKey,
    Channel,
    IntakeRequest,
    Order,
    OrderDestination,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from .schemas import OrderIn
from .services import TransitionRefused, order_event_add, order_transition
from .signals import order_placed

# last_used_at is a hint for admins, not an audit log: one write a minute per key at most.
API_KEY_TOUCH_EVERY = timedelta(minutes=1)
MAX_QUANTITY = 1_000_000
MAX_AMOUNT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])

Loc = tuple[str | int, ...]


class IntakeError(Exception):
    """An intake request was refused; the message is fit to show the client."""


class ApiKeyRefused(IntakeError):
    pass


class IdempotencyConflict(IntakeError):
    pass


class IntakeInvalid(IntakeError):
    """The payload breaks store rules. `errors` lists every one: {"loc", "msg", "type"}, with
    `loc` relative to the payload, e.g. ("lines", 0, "sku")."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))


@dataclass(frozen=True)
class DraftLine:
    variant: Variant
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    # Back-office entry (seed 003): the index of the line's address in OrderDraft.destinations
    # (None: the order's shipping_address), and whether the line is a gift.
    destination: int | None = None
    is_gift: bool = False


@dataclass(frozen=True)
class DestinationDraft:
    """An address of an order shipped to several, with the speed chosen for it."""

    address: dict
    shipping_method_id: int | None
    shipping_method_name: str
    shipping: Decimal
    shipping_tax: Decimal = Decimal(0)


@dataclass(frozen=True)
class OrderDraft:
    """A validated order, ready to be written: every amount checked and quantized, every SKU
    resolved to its variant."""

    channel: str
    placed_at: datetime
    currency: str
    customer_email: str
    first_name: str
    last_name: str
    phone: str
    member_ref: str | None
    billing_address: dict
    shipping_address: dict
    lines: tuple[DraftLine, ...]
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    client_ip: str | None
    external_ref: str
    payment_captured: bool
    payment_token: str
    authorization_code: str
    card_fingerprint: str
    destinations: tuple[DestinationDraft, ...] = ()
    profile_id: int | None = None  # a contact chosen by staff (back-office entry)


@dataclass(frozen=True)
class IntakeResult:
    order: Order
    # What intake made of the order (pending or paid). A replay answers with the same, even if
    # staff have moved the order on since; GET /orders/{number} tells the status now.
    status: str
    replayed: bool


def apikey_authenticate(*, raw: str) -> ApiKey:
    """The active API key whose raw secret is `raw`, or ApiKeyRefused.

    Compares hashes in constant time. Records last_used_at at most once a minute, with a
    conditional UPDATE so that concurrent requests on several workers write it once.
    """
    lookup = ApiKey.lookup_of(raw)
    key = ApiKey.objects.filter(lookup=lookup).order_by().first() if lookup else None
    if key is None or not hmac.compare_digest(key.key_hash, ApiKey.hash(raw)):
        raise ApiKeyRefused("Invalid API key.")
    if key.revoked_at is not None:
        raise ApiKeyRefused("This API key has been revoked.")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= API_KEY_TOUCH_EVERY:
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_KEY_TOUCH_EVERY),
            pk=key.pk,
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


def payload_hash(payload: OrderIn) -> str:
    """SHA-256 of the payload's canonical JSON: key order, white space and how a number is
    written ("20", 20.0, "20.00") do not change it."""

    def canonical(value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f") if value.is_finite() else str(value)
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        return str(value)

    text = json.dumps(
        payload.model_dump(), default=canonical, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


class _Errors:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, loc: Loc, msg: str, kind: str) -> None:
        self.items.append({"loc": list(loc), "msg": msg, "type": kind})

    def mark(self) -> int:
        return len(self.items)

    def since(self, mark: int) -> bool:
        return len(self.items) > mark


def quantize_money(value: Decimal) -> Decimal:
    """An amount as the store's currency writes it (2 places for USD, 0 for JPY)."""
    return value.quantize(Decimal(1).scaleb(-settings.STORE_CURRENCY_PLACES))


def _amount(value: Decimal, loc: Loc, errors: _Errors) -> Decimal:
    """`value` quantized to the store currency's places, after checking it fits them."""
    places = settings.STORE_CURRENCY_PLACES
    quantum = Decimal(1).scaleb(-places)
    if value < 0:
        errors.add(loc, "Must not be negative.", "negative_amount")
    elif value >= MAX_AMOUNT:
        errors.add(loc, f"Must be less than {MAX_AMOUNT:,}.", "amount_too_large")
    elif value != value.quantize(quantum):
        errors.add(
            loc,
            f"{settings.STORE_CURRENCY} amounts have at most {places} decimal places; got {value}.",
            "too_many_decimal_places",
        )
    else:
        return value.quantize(quantum)
    return value


def intake_validate(*, payload: OrderIn, channel: str) -> OrderDraft:
    """Check a parsed payload against the store's rules and resolve its SKUs.

    Raises IntakeInvalid listing every broken rule, each with the location of the field. Reads
    the variants of all lines in one query; writes nothing.
    """
    errors = _Errors()
    currency = _checked_currency(payload, errors)
    email = _checked_email(payload, errors)
    variants = _variants_by_sku(payload)
    lines, lines_valid = _draft_lines(payload, variants, errors)
    amounts = _checked_amounts(payload, lines if lines_valid else None, errors)
    _check_shipping_address(payload, variants, errors)
    captured = payload.payment.status == "captured"
    if captured and not CatalogSettings.load().allow_backorders:
        _check_stock(payload, variants, errors)
    if errors.items:
        raise IntakeInvalid(errors.items)
    return OrderDraft(
        channel=channel,
        placed_at=(payload.placed_at or timezone.now()).astimezone(UTC),
        currency=currency,
        customer_email=email,
        first_name=payload.customer.first_name.strip(),
        last_name=payload.customer.last_name.strip(),
        phone=payload.customer.phone.strip(),
        member_ref=(payload.customer.member_ref or "").strip() or None,
        billing_address=_address(payload.billing_address),
        shipping_address=_address(payload.shipping_address),
        lines=tuple(lines),
        subtotal=amounts.subtotal,
        discount=amounts.discount,
        shipping=amounts.shipping,
        tax=amounts.tax,
        total=amounts.total,
        client_ip=str(payload.client_ip) if payload.client_ip else None,
        external_ref=payload.external_ref.strip(),
        payment_captured=captured,
        payment_token=payload.payment.token.strip(),
        card_fingerprint=payload.payment.card_fingerprint.strip(),
        authorization_code=payload.payment.authorization_code.strip() if captured else "",
    )


def _checked_currency(payload: OrderIn, errors: _Errors) -> str:
    currency = payload.currency.strip().upper()
    if currency != settings.STORE_CURRENCY:
        errors.add(
            ("currency",),
            f"The store sells in {settings.STORE_CURRENCY}; got {payload.currency!r}.",
            "currency_mismatch",
        )
    return currency


def _checked_email(payload: OrderIn, errors: _Errors) -> str:
    email = payload.customer.email.strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        msg = "Enter a valid email address." if email else "The buyer's email is required."
        errors.add(("customer", "email"), msg, "invalid_email")
    return email


def _variants_by_sku(payload: OrderIn) -> dict[str, Variant]:
    """The variants of every line's SKU, with their products, in one query."""
    skus = {line.sku for line in payload.lines}
    return {
        v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus).order_by()
    }


def _draft_lines(
    payload: OrderIn, variants: dict[str, Variant], errors: _Errors
) -> tuple[list[DraftLine], bool]:
    """The lines that pass their checks, and whether every line did."""
    lines: list[DraftLine] = []
    lines_valid = True
    for i, line in enumerate(payload.lines):
        draft = _draft_line(i, line, variants.get(line.sku), errors)
        if draft is None:
            lines_valid = False
        else:
            lines.append(draft)
    return lines, lines_valid


def _draft_line(i: int, line, variant: Variant | None, errors: _Errors) -> DraftLine | None:
    """Line `i` checked and quantized, or None after recording why it is not valid."""
    mark = errors.mark()
    if variant is None:
        errors.add(("lines", i, "sku"), f"Unknown SKU {line.sku!r}.", "unknown_sku")
    if line.quantity < 1:
        errors.add(("lines", i, "quantity"), "Must be at least 1.", "quantity_not_positive")
    elif line.quantity > MAX_QUANTITY:
        errors.add(
            ("lines", i, "quantity"), f"Must be at most {MAX_QUANTITY:,}.", "quantity_too_large"
        )
    unit_price = _amount(line.unit_price, ("lines", i, "unit_price"), errors)
    discount = _amount(line.discount, ("lines", i, "discount"), errors)
    tax = _amount(line.tax, ("lines", i, "tax"), errors)
    if errors.since(mark):
        return None
    total = unit_price * line.quantity - discount
    if total < 0:
        errors.add(
            ("lines", i, "discount"),
            f"The discount is more than the line's price ({unit_price * line.quantity}).",
            "discount_too_large",
        )
        return None
    return DraftLine(variant, line.quantity, unit_price, discount, tax, total)


@dataclass(frozen=True)
class _Amounts:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal


def _checked_amounts(payload: OrderIn, lines: list[DraftLine] | None, errors: _Errors) -> _Amounts:
    """The order's amounts, quantized; the subtotal checked against `lines` (None when a line
    is broken, so there is no sum to check) and the total against the other amounts."""
    mark = errors.mark()
    amounts = _Amounts(
        subtotal=_amount(payload.subtotal, ("subtotal",), errors),
        discount=_amount(payload.discount, ("discount",), errors),
        shipping=_amount(payload.shipping, ("shipping",), errors),
        tax=_amount(payload.tax, ("tax",), errors),
        total=_amount(payload.total, ("total",), errors),
    )
    if errors.since(mark):
        return amounts
    if lines is not None:
        lines_sum = sum((line.total for line in lines), Decimal(0))
        if amounts.subtotal != lines_sum:
            errors.add(
                ("subtotal",),
                f"The subtotal {amounts.subtotal} is not the sum of the line totals "
                f"(unit_price × quantity − discount), {lines_sum}.",
                "subtotal_mismatch",
            )
    expected = amounts.subtotal - amounts.discount + amounts.shipping + amounts.tax
    if amounts.total != expected:
        errors.add(
            ("total",),
            f"The total {amounts.total} is not subtotal − discount + shipping + tax, {expected}.",
            "total_mismatch",
        )
    return amounts


def _check_shipping_address(
    payload: OrderIn, variants: dict[str, Variant], errors: _Errors
) -> None:
    shippable = [
        i
        for i, line in enumerate(payload.lines)
        if (v := variants.get(line.sku)) and v.product.is_shippable
    ]
    if shippable and payload.shipping_address is None:
        errors.add(
            ("shipping_address",),
            f"A shipping address is required: {payload.lines[shippable[0]].sku} ships.",
            "shipping_address_required",
        )


def _check_stock(payload: OrderIn, variants: dict[str, Variant], errors: _Errors) -> None:
    """A captured payment books the sale now, so unless the store takes backorders the stock
    must be there (as read now; the booking itself re-checks under lock)."""
    wanted: dict[str, int] = {}
    for line in payload.lines:
        if line.sku in variants and line.quantity > 0:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    for i, line in enumerate(payload.lines):
        variant = variants.get(line.sku)
        if variant and variant.track_stock and wanted.get(line.sku, 0) > variant.stock:
            errors.add(
                ("lines", i, "quantity"),
                _short_message(variant.sku, wanted[line.sku], variant.stock),
                "insufficient_stock",
            )


def _short_message(sku: str, requested: int, on_hand: int) -> str:
    return f"Not enough stock for {sku}: {requested} requested, {on_hand} on hand."


def _address(address) -> dict:
    if address is None:
        return {}
    data = {k: v.strip() for k, v in address.model_dump().items()}
    data["country"] = data["country"].upper()
    return data


# No savepoint of its own: a failure here always fails the caller's transaction too (no caller
# catches and carries on), and two round trips fewer matter on the intake's hot path.
@transaction.atomic(savepoint=False)
def order_create(*, draft: OrderDraft, actor: Actor, order_id: int | None = None) -> Order:
    """Write a validated draft as a new order.

    Guarantees: the order (its number from the database sequence), its lines (snapshots of
    the variants' names, options and costs as they are now), the member's profile and the
    "placed" event are written together or not at all, in a constant number of queries
    whatever the number of lines. `order_placed` is sent inside the transaction. A captured
    payment marks the order paid through `order_transition`, which books the sale exactly
    once; if stock ran short it raises TransitionRefused and nothing of the order remains.
    """
    order = _new_order(draft)
    order.pk = order_id  # reserved by the caller (intake's claim), else from the sequence
    # Rated before it is written, so the rating costs one read and no extra write.
    order.risk_level, order.risk_signals = risk.assess(order)
    order.save(force_insert=True)
    destinations = OrderDestination.objects.bulk_create(
        [_new_destination(order, i, d) for i, d in enumerate(draft.destinations)]
    )
    OrderLine.objects.bulk_create([_new_line(order, line, destinations) for line in draft.lines])
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.PLACED,
        message=f"Received from the {Channel(draft.channel).label.lower()} channel.",
        actor=actor,
    )
    order_placed.send(sender=Order, order=order, actor=actor)
    if draft.payment_captured:
        by = "register" if draft.channel == Channel.IN_STORE else "storefront"
        order = order_transition(
            order_id=order.pk,
            to=OrderStatus.PAID,
            actor=actor,
            note=f"Payment captured by the {by}",
            payment_recorded=True,
        )
    return order


def _new_order(draft: OrderDraft) -> Order:
    """The draft's order, unsaved, for the member's profile (upserted now) if it names one."""
    profile = None
    if draft.member_ref:
        profile = member_profile_upsert(
            member_ref=draft.member_ref,
            first_name=draft.first_name,
            last_name=draft.last_name,
            email=draft.customer_email,
            phone=draft.phone,
        )
    return Order(
        channel=draft.channel,
        status=OrderStatus.PENDING,
        profile_id=profile.pk if profile else draft.profile_id,
        customer_email=draft.customer_email,
        customer_name=f"{draft.first_name} {draft.last_name}".strip(),
        customer_phone=draft.phone,
        placed_at=draft.placed_at,
        currency=draft.currency,
        subtotal=draft.subtotal,
        discount_total=draft.discount,
        shipping_total=draft.shipping,
        tax_total=draft.tax,
        total=draft.total,
        billing_address=draft.billing_address,
        shipping_address=draft.shipping_address,
        client_ip=draft.client_ip,
        external_ref=draft.external_ref,
        payment_token=draft.payment_token,
        card_fingerprint=draft.card_fingerprint,
        authorization_code=draft.authorization_code,
    )


def _new_destination(order: Order, position: int, draft: DestinationDraft) -> OrderDestination:
    return OrderDestination(
        order=order,
        position=position,
        address=draft.address,
        shipping_method_id=draft.shipping_method_id,
        shipping_method_name=draft.shipping_method_name,
        shipping=draft.shipping,
        shipping_tax=draft.shipping_tax,
    )


def _new_line(order: Order, line: DraftLine, destinations: list[OrderDestination]) -> OrderLine:
    """A draft line as an unsaved order line: a snapshot of its variant as it is now."""
    variant = line.variant
    return OrderLine(
        order=order,
        destination=destinations[line.destination] if line.destination is not None else None,
        is_gift=line.is_gift,
        variant=variant,
        product_id=variant.product_id,
        placed_at=order.placed_at,
        sku=variant.sku,
        name=variant.product.name[:300],  # the options go apart, below
        options=variant.options_label[:200],
        unit_price=line.unit_price,
        unit_cost=variant.cost_price,
        quantity=line.quantity,
        tax=line.tax,
        discount=line.discount,
        total=line.total,
        is_shippable=variant.product.is_shippable,
        fulfilment_status=(
            OrderLine.Fulfilment.UNFULFILLED
            if variant.product.is_shippable
            else OrderLine.Fulfilment.NOT_REQUIRED
        ),
    )


def _claim(*, channel: str, key: str, body_hash: str, api_key: ApiKey) -> int | None:
    """Insert the key's IntakeRequest; the id of the order it reserves, or None if the key
    was already used.

    The order's id is drawn from its sequence here and written with the claim, so the order
    is then inserted with that id and the claim needs no second write (the foreign key is
    checked at commit, when the order exists; a refused request rolls both back). A
    concurrent request with the same key waits on the unique index here until the first
    one's transaction ends, then finds its row (committed) or claims the key (rolled back).
    """
    table = IntakeRequest._meta.db_table
    orders = Order._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (channel, key, body_hash, api_key_id, created_at, order_id) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, nextval(pg_get_serial_sequence('{orders}', 'id'))) "
            "ON CONFLICT (channel, key) DO NOTHING RETURNING order_id",
            [channel, key, body_hash, api_key.pk, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _replay(*, channel: str, key: str, body_hash: str, payload: OrderIn) -> IntakeResult:
    earlier = IntakeRequest.objects.select_related("order").get(channel=channel, key=key)
    if earlier.body_hash != body_hash:
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was used with a different request body."
        )
    # The same body made the same decision the first time.
    status = OrderStatus.PAID if payload.payment.status == "captured" else OrderStatus.PENDING
    return IntakeResult(order=earlier.order, status=status, replayed=True)


@transaction.atomic
def intake_submit(
    *, payload: OrderIn, api_key: ApiKey, idempotency_key: str | None = None
) -> IntakeResult:
    """Create the order a storefront or register sent, once per Idempotency-Key.

    Guarantees: one transaction for the whole request. The key is claimed first by a unique
    insert, so a retry (sequential or concurrent) with the same key and body gets the order
    the first request made, never a second one; with a different body, IdempotencyConflict.
    A refused request (IntakeInvalid, IdempotencyConflict) leaves nothing in the database:
    no key, no order, no profile, no stock change.
    """
    channel = api_key.channel
    actor = Actor.system(f"API: {api_key.name}")
    reserved_id = None
    if idempotency_key is not None:
        body_hash = payload_hash(payload)
        reserved_id = _claim(
            channel=channel, key=idempotency_key, body_hash=body_hash, api_key=api_key
        )
        if reserved_id is None:
            return _replay(
                channel=channel, key=idempotency_key, body_hash=body_hash, payload=payload
            )
    draft = intake_validate(payload=payload, channel=channel)
    try:
        order = order_create(draft=draft, actor=actor, order_id=reserved_id)
    except TransitionRefused as exc:
        raise _refusal_as_invalid(exc, draft) from exc
    status = OrderStatus.PAID if draft.payment_captured else OrderStatus.PENDING
    return IntakeResult(order=order, status=status, replayed=False)


def _refusal_as_invalid(exc: TransitionRefused, draft: OrderDraft) -> IntakeInvalid:
    """Stock that ran out between validation and booking: the same 422 as a short line."""
    cause = exc.__cause__
    if isinstance(cause, OutOfStock):
        return IntakeInvalid(
            [
                {
                    "loc": ["lines", i, "quantity"],
                    "msg": _short_message(cause.variant.sku, cause.requested, cause.variant.stock),
                    "type": "insufficient_stock",
                }
                for i, line in enumerate(draft.lines)
                if line.variant.pk == cause.variant.pk
            ]
        )
    return IntakeInvalid([{"loc": ["payment", "status"], "msg": str(exc), "type": "refused"}])
