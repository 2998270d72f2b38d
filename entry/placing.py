"""Placing a draft: the one write of order entry that touches stock, codes and numbers."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from catalog.models import Variant
from customers.models import Address, Profile
from orders.actors import Actor
from orders.intake import DestinationDraft, OrderDraft, order_create
from orders.intake import DraftLine as OrderDraftLine
from orders.models import Channel, Order, OrderStatus
from orders.services import OrderError, order_transition
from payments.charging import order_charge
from payments.services import PaymentInfo, order_mark_paid
from promotions.pricing import Quote
from promotions.services import CodeRefused, code_uses_redeem

from .models import Draft
from .selectors import (
    allows_backorders,
    awaits_shipping,
    contact_addresses,
    draft_of,
    draft_quote,
)
from .services import EntryError

ADDRESS_FIELDS = ["name", "line1", "line2", "city", "region", "postal_code", "country", "phone"]


@dataclass(frozen=True)
class Payment:
    """How the order is paid at placing: `later` (Pending), `offline` (with `info`), or
    `charge` (the card behind `card_token`, through the active gateway, once placed)."""

    choice: str = Draft.Payment.LATER
    info: PaymentInfo | None = None
    card_token: str = ""


@dataclass(frozen=True)
class Placed:
    order: Order
    message: str


def draft_place(*, draft_id: int, owner, payment: Payment, actor: Actor) -> Placed:
    """Turn a draft into a back-office order and land it in its status.

    Guarantees: one transaction writes the order (its number from the sequence), redeems its
    codes (a guarded UPDATE per code: of concurrent placements competing for a code's last
    use, one wins), records an offline payment (booking the sale, which re-checks stock under
    the variants' locks) and deletes the draft; any refusal (a price changed since it was
    added, stock short, a code refused or used up, a payment refused) raises EntryError and
    nothing of it is written: the draft stays as it was. A card is charged after that commit
    (no lock is held while the gateway answers); declined, the order stays Pending.
    """
    with transaction.atomic():
        order = _place(draft_id, owner, payment, actor)
    message = f"Order #{order.number} placed."
    if payment.choice == Draft.Payment.CHARGE:
        try:
            outcome = order_charge(order_id=order.pk, actor=actor)
        except OrderError as exc:  # no gateway, no card: placed, to be paid later
            message = f"{message} It was not charged: {exc}"
        else:
            message = f"{message} {outcome.message}"
            if outcome.approved:
                order = _onwards(order, actor)
    return Placed(order=Order.objects.get(pk=order.pk), message=message)


def _place(draft_id: int, owner, payment: Payment, actor: Actor) -> Order:
    locked = Draft.objects.select_for_update().filter(pk=draft_id, owner=owner).first()
    if locked is None:
        raise EntryError("This draft was placed or discarded.")
    draft = draft_of(draft_id=draft_id, owner=owner)
    addresses = contact_addresses(profile_id=draft.profile_id)
    _check_ready(draft, addresses)
    _check_prices_and_stock(draft)
    quote = draft_quote(draft, addresses)
    if quote.refused:
        refused = quote.refused[0]
        raise EntryError(f"Code “{refused.code}” was refused: {refused.message}", "code")
    order = order_create(draft=_order_draft(draft, addresses, quote, payment), actor=actor)
    try:
        code_uses_redeem(
            code_ids=[a.promotion_id for a in quote.applied],
            customer_id=draft.profile_id,
            order_id=order.pk,
        )
        if payment.choice == Draft.Payment.OFFLINE:
            order_mark_paid(order_id=order.pk, payment=payment.info, actor=actor)
            order = _onwards(order, actor)
    except CodeRefused as exc:
        raise EntryError(f"Nothing was placed: {exc.message}", "code") from exc
    except OrderError as exc:  # a payment refused, stock gone since it was read
        raise EntryError(f"Nothing was placed: {exc}", "payment") from exc
    locked.delete()
    return order


def _onwards(order: Order, actor: Actor) -> Order:
    """Paid and something ships: it is being worked on (seed 003's "processing"). Nothing to
    ship: order_transition completed it already."""
    order = Order.objects.get(pk=order.pk)
    if order.status == OrderStatus.PAID and order.has_shippable_lines:
        return order_transition(
            order_id=order.pk, to=OrderStatus.IN_PROCESS, actor=actor, note="Entered paid."
        )
    return order


def _check_ready(draft: Draft, addresses: list[Address]) -> None:
    if draft.profile_id is None:
        raise EntryError("Choose a contact for the order.", "contact")
    if not addresses:
        raise EntryError("The contact has no address: add one on the contact step.", "contact")
    if not draft.lines.all():
        raise EntryError("Add at least one item.", "items")
    if awaits_shipping(draft):
        raise EntryError("Choose where the items ship on the Shipping details step.", "shipping")
    for destination in draft.destinations.all():
        method = destination.shipping_method
        if method is None or not method.is_active:
            raise EntryError(f"Choose a shipping speed for {destination.address}.", "shipping")


def _check_prices_and_stock(draft: Draft) -> None:
    """The variants, locked in id order (as booking a sale locks them: no deadlock): prices
    must be those quoted when the items were added, and stock enough unless backorders."""
    lines = list(draft.lines.all())
    variants = Variant.objects.select_for_update().in_bulk({line.variant_id for line in lines})
    wanted: dict[int, int] = {}
    for line in lines:
        variant = variants[line.variant_id]
        if variant.price != line.unit_price:
            fix = (
                "remove its promotion and add it again"
                if line.promotion_id
                else "edit the item to take the new price"
            )
            raise EntryError(
                f"The price of {variant.display_name} changed from {line.unit_price} to "
                f"{variant.price} since it was added: {fix}.",
                "items",
            )
        wanted[variant.pk] = wanted.get(variant.pk, 0) + line.quantity
    if allows_backorders():
        return
    for variant_id, quantity in wanted.items():
        variant = variants[variant_id]
        if variant.track_stock and quantity > variant.stock:
            raise EntryError(
                f"Not enough stock for {variant.sku}: {quantity} on the order, "
                f"{variant.stock} on hand.",
                "items",
            )


def _snapshot(address: Address | None) -> dict:
    return model_to_dict(address, fields=ADDRESS_FIELDS) if address else {}


def _order_draft(
    draft: Draft, addresses: list[Address], quote: Quote, payment: Payment
) -> OrderDraft:
    """The order as intake writes it: a line per item and address, its destination and gift
    flag; line discounts are the items' own, the order's discount stays on the order (as the
    storefront sends them), so subtotal − discount + shipping + tax = total to the cent."""
    priced = {p.key: p for p in quote.lines}
    destinations = list(draft.destinations.all())
    index = {f"d{d.pk}": i for i, d in enumerate(destinations)}
    shipped = {p.key: p for p in quote.destinations}
    lines = []
    for line in draft.lines.all():
        lines.extend(_order_lines(line, priced, index))
    subtotal = sum((line.total for line in lines), Decimal(0))
    profile: Profile = draft.profile
    billing = next((a for a in addresses if a.is_default_billing), addresses[0])
    return OrderDraft(
        channel=Channel.BACK_OFFICE,
        placed_at=timezone.now(),
        currency=settings.STORE_CURRENCY,
        customer_email=profile.email,
        first_name=profile.first_name,
        last_name=profile.last_name,
        phone=profile.phone,
        member_ref=None,
        billing_address=_snapshot(billing),
        shipping_address=_snapshot(destinations[0].address) if destinations else {},
        lines=tuple(lines),
        subtotal=subtotal,
        discount=subtotal + quote.shipping_total + quote.tax_total - quote.total,
        shipping=quote.shipping_total,
        tax=quote.tax_total,
        total=quote.total,
        client_ip=None,
        external_ref=f"draft:{draft.pk}",
        payment_captured=False,
        payment_token=payment.card_token if payment.choice == Draft.Payment.CHARGE else "",
        authorization_code="",
        card_fingerprint="",
        destinations=tuple(
            DestinationDraft(
                address=_snapshot(d.address),
                shipping_method_id=d.shipping_method_id,
                shipping_method_name=d.shipping_method.name,
                shipping=shipped[f"d{d.pk}"].shipping,
                shipping_tax=shipped[f"d{d.pk}"].shipping_tax,
            )
            for d in destinations
        ),
        profile_id=profile.pk,
    )


def _order_lines(line, priced: dict, index: dict) -> list[OrderDraftLine]:
    allocations = list(line.allocations.all()) if line.variant.product.is_shippable else []
    parts = [(f"{line.pk}:d{a.destination_id}", a) for a in allocations] or [(str(line.pk), None)]
    result = []
    for key, allocation in parts:
        price = priced[key]
        quantity = allocation.quantity if allocation else line.quantity
        result.append(
            OrderDraftLine(
                variant=line.variant,
                quantity=quantity,
                unit_price=line.unit_price,
                discount=price.item_discount,
                tax=price.tax,
                total=line.unit_price * quantity - price.item_discount,
                destination=index[f"d{allocation.destination_id}"] if allocation else None,
                is_gift=allocation.is_gift if allocation else False,
            )
        )
    return result
