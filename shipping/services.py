"""Shipments, tracking-number checks and shipping prices. Every write locks the order first."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.text import slugify

from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services import OrderError, order_event_add, order_transition

from . import carriers
from .carriers import KNOWN_CARRIERS, ValidationResult
from .models import (
    Carrier,
    OrderTracking,
    Shipment,
    ShipmentLine,
    ShippingMethod,
    ShippingSettings,
    TrackingNumber,
)
from .signals import shipment_recorded, tracking_updated
from .tracking import tracking_token_revoke

# A later parcel of an order already marked Shipped (by hand, before shipments were recorded)
# may still be recorded.
SHIPPING_STATUSES = {OrderStatus.PAID, OrderStatus.IN_PROCESS, OrderStatus.SHIPPED}


class ShipmentError(OrderError):
    """A shipping rule was broken; the message is fit to show a user."""


class TrackingNumberInvalid(ShipmentError):
    """A number failed its carrier's check; staff may record it anyway with a reason."""


def tracking_check(*, carrier: Carrier, number: str) -> ValidationResult:
    """Check a tracking number for `carrier` without raising: the result says what is wrong.

    A known carrier's number must have its published format and check digit, and comes back
    normalized (no spaces or hyphens, upper case); any other courier takes any non-empty
    reference of at most 100 characters, trimmed.
    """
    if carrier.is_known:
        return carriers.validate(carrier.number_check, number)
    return carriers.validate_reference(number, courier=carrier.name)


def shipping_method_price(*, method: ShippingMethod, subtotal: Decimal) -> Decimal:
    """What `method` costs for an order of `subtotal`: nothing when the subtotal is at least the
    method's free-from threshold, else its flat price. Exact: Decimal in, Decimal quantized to
    the store currency's places out."""
    if not isinstance(subtotal, Decimal):
        raise TypeError(f"subtotal must be a Decimal, not {type(subtotal).__name__}.")
    free_from = method.free_from_subtotal
    price = Decimal(0) if free_from is not None and subtotal >= free_from else method.price
    return price.quantize(Decimal(1).scaleb(-settings.STORE_CURRENCY_PLACES), ROUND_HALF_UP)


def known_carriers_ensure() -> None:
    """The built-in carriers exist (run after every migrate, and after a test flush): created
    with their default tracking pages when missing, never overwriting what an admin changed."""
    for known in KNOWN_CARRIERS.values():
        Carrier.objects.get_or_create(
            code=known.code,
            defaults={
                "name": known.name,
                "tracking_url_template": known.tracking_url_template,
                "number_check": known.code,
            },
        )


class CarrierError(ShipmentError):
    """A carrier cannot be saved as given; the message is fit to show a user."""


CARRIER_NAME_MAX = Carrier._meta.get_field("name").max_length


def _carrier_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CarrierError("Enter the courier's name.")
    if len(name) > CARRIER_NAME_MAX:
        raise CarrierError(f"A courier's name has at most {CARRIER_NAME_MAX} characters.")
    return name


def _free_code(name: str) -> str:
    """A code for a carrier named `name` that no carrier has yet: its slug, numbered if taken."""
    stem = (slugify(name) or "courier")[:30]
    taken = set(Carrier.objects.filter(code__startswith=stem).values_list("code", flat=True))
    code, n = stem, 1
    while code in taken:
        n += 1
        code = f"{stem}-{n}"
    return code


def carrier_for_name(*, name: str) -> Carrier:
    """The carrier called `name` (any case), created if there is none (seed 004: "enter the name
    of the Courier you use"): kept for next time, taking any reference as its tracking number
    and with no tracking link until an admin gives it one.

    Concurrency-safe without an exception inside the caller's transaction: the insert is
    ON CONFLICT DO NOTHING against the unique lower(name) (and code), so two people typing the
    same new courier at once make one carrier, the second waiting for the first to commit and
    then reading it. Raises CarrierError for an empty or too long name, or a carrier switched
    off in Settings.
    """
    name = _carrier_name(name)
    for _attempt in range(3):
        carrier = Carrier.objects.filter(name__iexact=name).first()
        if carrier is None:
            Carrier.objects.bulk_create(
                [Carrier(name=name, code=_free_code(name))], ignore_conflicts=True
            )
            carrier = Carrier.objects.filter(name__iexact=name).first()
        if carrier is not None:
            break
        # Someone took the code (not the name) meanwhile: try the next free one.
    else:
        raise CarrierError(f"“{name}” could not be saved as a courier; try again.")
    if not carrier.is_active:
        raise CarrierError(
            f"{carrier.name} is switched off in Settings → Carriers: choose another courier, "
            "or ask an admin to switch it on."
        )
    return carrier


@transaction.atomic
def carrier_save(
    *,
    carrier_id: int | None,
    name: str,
    tracking_url_template: str,
    number_check: str,
    is_active: bool,
    actor: Actor,
) -> Carrier:
    """Create (`carrier_id` None) or change a carrier as an admin set it in Settings.

    Guarantees: the name is unique whatever its case and the tracking link template says where
    the number goes (CarrierError otherwise, nothing saved); a new carrier gets a free code; a
    built-in carrier keeps its code (its tracking-number check's origin)."""
    name = _carrier_name(name)
    if carrier_id is None:
        carrier = Carrier(code=_free_code(name))
    else:
        carrier = Carrier.objects.select_for_update().get(pk=carrier_id)
    if Carrier.objects.filter(name__iexact=name).exclude(pk=carrier.pk).exists():
        raise CarrierError(f"There is already a carrier named “{name}”.")
    carrier.name = name
    carrier.tracking_url_template = tracking_url_template.strip()
    carrier.number_check = number_check
    carrier.is_active = is_active
    try:
        carrier.full_clean()
        with transaction.atomic():
            carrier.save()
    except ValidationError as exc:
        raise CarrierError(" ".join(exc.messages)) from exc
    except IntegrityError as exc:  # the same name saved meanwhile
        raise CarrierError(f"There is already a carrier named “{name}”.") from exc
    return carrier


def _checked_number(*, carrier: Carrier, number: str, override_reason: str) -> tuple[str, str]:
    """The number to store and the override reason to record with it ("" when it passed)."""
    result = tracking_check(carrier=carrier, number=number)
    if result.ok:
        return result.normalized, ""
    # Only a known carrier's number can fail a check worth overriding: an empty or too long
    # reference cannot be stored at all.
    if carrier.is_known and result.normalized and override_reason:
        return result.normalized, override_reason
    if carrier.is_known and result.normalized:
        raise TrackingNumberInvalid(
            f"{result.message} Correct the number, or give a reason to record it anyway."
        )
    raise ShipmentError(result.message)


def _order_locked(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def _shippable_order(order: Order) -> None:
    if order.status not in SHIPPING_STATUSES:
        raise ShipmentError(
            f"Order #{order.number} is {OrderStatus(order.status).label}: only paid or in-process "
            "orders ship."
        )


def _remaining(line: OrderLine) -> int:
    return line.quantity - line.quantity_fulfilled


def _quantities(order_lines: dict[int, OrderLine], lines: dict[int, int] | None) -> dict[int, int]:
    """order line id -> units to send, checked against what each line still has to send."""
    if lines is None:
        return {
            pk: _remaining(line)
            for pk, line in order_lines.items()
            if line.is_shippable and _remaining(line) > 0
        }
    wanted = {}
    for pk, quantity in lines.items():
        line = order_lines.get(pk)
        if line is None:
            raise ShipmentError("An item chosen to ship is not on this order.")
        if quantity < 0:
            raise ShipmentError(f"{line.sku}: a quantity cannot be negative.")
        if quantity == 0:
            continue
        if not line.is_shippable:
            raise ShipmentError(f"{line.sku} does not ship: nothing to send for it.")
        if quantity > _remaining(line):
            raise ShipmentError(
                f"{line.sku}: only {_remaining(line)} of {line.quantity} remain to be sent, "
                f"so {quantity} cannot ship."
            )
        wanted[pk] = quantity
    return wanted


def _fulfil(line_id: int, quantity: int) -> None:
    """Count `quantity` more units of the line as sent, in the database. The filter and the
    order_line_not_overfulfilled constraint both refuse sending more than was ordered."""
    updated = OrderLine.objects.filter(
        pk=line_id, quantity_fulfilled__lte=F("quantity") - quantity
    ).update(
        quantity_fulfilled=F("quantity_fulfilled") + quantity,
        fulfilment_status=Case(
            When(quantity=F("quantity_fulfilled") + quantity, then=Value("fulfilled")),
            default=Value("partial"),
        ),
    )
    if updated != 1:
        raise ShipmentError("An item was sent meanwhile: reload the order and try again.")


def _items(order_lines: dict[int, OrderLine], quantities: dict[int, int]) -> str:
    return ", ".join(f"{qty} × {order_lines[pk].sku}" for pk, qty in quantities.items())


@transaction.atomic
def shipment_create(
    *,
    order_id: int,
    carrier_id: int | None = None,
    carrier_name: str = "",
    tracking_numbers: list[str],
    lines: dict[int, int] | None = None,
    shipped_on: datetime.date | None = None,
    method_id: int | None = None,
    override_reason: str = "",
    actor: Actor,
) -> Shipment:
    """Record a shipment of an order: courier, tracking numbers, the lines and quantities sent.

    Guarantees: the order is locked for the whole change and a refusal (ShipmentError, with the
    reason) changes nothing, a courier typed by name (`carrier_name`, instead of `carrier_id`)
    included: it is kept for next time only if the shipment is recorded. At least one tracking
    number, each passing its carrier's check or
    recorded with `override_reason`. No line sends more than it still has to (`lines` None:
    everything still to send). The lines' sent quantities change in the database. The timeline
    names the courier and numbers. When nothing is left to send the order moves to Shipped (and
    on to Delivered when ShippingSettings.deliver_on_tracking). `shipment_recorded` is sent last.
    """
    order = _order_locked(order_id)
    _shippable_order(order)
    carrier, method = _carrier_and_method(carrier_id, carrier_name, method_id)
    override_reason = override_reason.strip()
    numbers = _checked_numbers(carrier, tracking_numbers, override_reason)
    order_lines = {line.pk: line for line in order.lines.select_for_update().order_by("pk")}
    quantities = _quantities(order_lines, lines)
    if not quantities:
        raise ShipmentError("Nothing to ship: choose at least one item and how many.")

    shipment = Shipment.objects.create(
        order=order,
        carrier=carrier,
        method=method,
        shipped_on=shipped_on or timezone.localdate(),
        created_by=actor.user,
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, order_line_id=pk, quantity=qty)
        for pk, qty in quantities.items()
    )
    for pk, qty in quantities.items():
        _fulfil(pk, qty)
    TrackingNumber.objects.bulk_create(
        TrackingNumber(shipment=shipment, number=number, override_reason=reason)
        for number, reason in numbers
    )
    message = _shipped_message(carrier, numbers, _items(order_lines, quantities), override_reason)
    order_event_add(order=order, kind=OrderEvent.Kind.SHIPPING, message=message, actor=actor)
    if order.status != OrderStatus.SHIPPED and not order.has_lines_to_ship:
        _order_mark_shipped(order, actor)
    shipment_recorded.send(sender=Shipment, shipment=shipment, actor=actor)
    return shipment


def _carrier_and_method(
    carrier_id: int | None, carrier_name: str, method_id: int | None
) -> tuple[Carrier, ShippingMethod | None]:
    """The chosen carrier, or the courier typed by name (created and kept for next time), and
    the shipping method; ShipmentError when either is missing or unknown."""
    if carrier_id is None and carrier_name.strip():
        carrier = carrier_for_name(name=carrier_name)
    else:
        carrier = Carrier.objects.filter(pk=carrier_id, is_active=True).first()
    if carrier is None:
        raise ShipmentError("Choose the carrier or courier that took the shipment.")
    method = None
    if method_id is not None:
        method = ShippingMethod.objects.filter(pk=method_id).first()
        if method is None:
            raise ShipmentError("That shipping method does not exist.")
    return carrier, method


def _checked_numbers(
    carrier: Carrier, tracking_numbers: list[str], override_reason: str
) -> list[tuple[str, str]]:
    """The distinct numbers entered, each with "" or the override that let it fail its check."""
    entered = list(dict.fromkeys(n.strip() for n in tracking_numbers if n.strip()))
    if not entered:
        raise ShipmentError(
            f"Enter the tracking number {carrier.name} gave you: an order is shipped with a "
            "courier and a tracking number."
        )
    return [
        _checked_number(carrier=carrier, number=n, override_reason=override_reason) for n in entered
    ]


def _shipped_message(
    carrier: Carrier, numbers: list[tuple[str, str]], items: str, override_reason: str
) -> str:
    message = f"Shipped by {carrier.name}, tracking {', '.join(n for n, _ in numbers)}: {items}."
    overridden = [n for n, reason in numbers if reason]
    if overridden:
        message += (
            f" Recorded although {', '.join(overridden)} failed the {carrier.name} check: "
            f"{override_reason}"
        )
    return message


def _order_mark_shipped(order: Order, actor: Actor) -> None:
    """Nothing is left to send: Shipped, and on to Delivered if the settings say so."""
    order_transition(order_id=order.pk, to=OrderStatus.SHIPPED, actor=actor, shipment_recorded=True)
    if ShippingSettings.load().deliver_on_tracking:
        order_transition(
            order_id=order.pk,
            to=OrderStatus.DELIVERED,
            actor=actor,
            note="Marked delivered when its tracking was entered (shipping settings).",
        )


@transaction.atomic
def tracking_number_update(
    *, tracking_id: int, number: str, override_reason: str = "", actor: Actor
) -> TrackingNumber:
    """Correct a shipment's tracking number.

    Guarantees: the order is locked first; the new number passes its carrier's check or is
    recorded with `override_reason`; the timeline says "Tracking number corrected: A → B";
    `tracking_updated` is sent (the customer is told). A refusal changes nothing.
    """
    order_id = TrackingNumber.objects.values_list("shipment__order_id", flat=True).get(
        pk=tracking_id
    )
    order = _order_locked(order_id)
    tracking = (
        TrackingNumber.objects.select_for_update(of=("self",))
        .select_related("shipment__carrier")
        .get(pk=tracking_id)
    )
    carrier = tracking.shipment.carrier
    new, reason = _checked_number(
        carrier=carrier, number=number, override_reason=override_reason.strip()
    )
    previous = tracking.number
    if new == previous:
        raise ShipmentError(f"{previous} is already the tracking number.")
    tracking.number = new
    tracking.override_reason = reason
    tracking.save(update_fields=["number", "override_reason", "updated_at"])
    message = f"Tracking number corrected: {previous} → {new}."
    if reason:
        message += f" Recorded although it failed the {carrier.name} check: {reason}"
    order_event_add(order=order, kind=OrderEvent.Kind.SHIPPING, message=message, actor=actor)
    tracking_updated.send(
        sender=TrackingNumber, tracking_number=tracking, previous=previous, actor=actor
    )
    return tracking


@transaction.atomic
def lines_flag_sent(*, order_id: int, line_ids: list[int], actor: Actor) -> list[OrderLine]:
    """Seed 000's *Flag selected item(s) as sent*: the lines count as fully sent, without a
    tracking number (mailed or handed over), and the timeline says so.

    Guarantees: the order is locked first; every line is the order's, ships, and still has
    something to send, or nothing changes. The order's status is left as it is: completing it
    is staff's next step.
    """
    order = _order_locked(order_id)
    _shippable_order(order)
    ids = sorted(set(line_ids))
    if not ids:
        raise ShipmentError("Choose the items to flag as sent.")
    found = list(order.lines.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(found) != len(ids):
        raise ShipmentError("An item chosen is not on this order.")
    for line in found:
        if not line.is_shippable:
            raise ShipmentError(f"{line.sku} does not ship: nothing to flag as sent.")
        if _remaining(line) <= 0:
            raise ShipmentError(f"{line.sku} was already sent.")
    sent = {line.pk: _remaining(line) for line in found}
    for pk, qty in sent.items():
        _fulfil(pk, qty)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.SHIPPING,
        message=f"Flagged as sent without tracking: {_items({line.pk: line for line in found}, sent)}.",
        actor=actor,
    )
    return list(OrderLine.objects.filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def tracking_link_revoke(*, order_id: int, actor: Actor) -> None:
    """Revoke the customer's tracking link of an order (it was forwarded or reached the wrong
    person), on staff's word.

    Guarantees: the order is locked first; its live token is revoked, so the old link gets the
    tracking page's not-found answer, the same as a token that never existed; a fresh token is
    issued at once (an order keeps one live token, see OrderTracking), so every email rendered
    from now on carries the new link, including any already queued (the worker renders when it
    sends); the customer is not emailed about it, and can still find the order by number and
    email; the timeline records who revoked it. An order with no live link raises
    ShipmentError and changes nothing.
    """
    order = _order_locked(order_id)
    if not OrderTracking.objects.filter(order=order, revoked_at__isnull=True).exists():
        raise ShipmentError(f"Order #{order.number} has no tracking link to revoke.")
    tracking_token_revoke(order)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.SHIPPING,
        message=(
            "Customer tracking link revoked: the old link no longer opens the tracking page; "
            "emails from now on carry a new one."
        ),
        actor=actor,
    )


@transaction.atomic
def shipping_method_save(*, method: ShippingMethod) -> ShippingMethod:
    """Create or change a shipping speed (validated by its form). Orders placed keep the price
    they were placed with; only new orders see the change."""
    method.save()
    return method
