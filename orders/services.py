"""Every write to orders. Each service is atomic and locks the order it changes."""

from django.db import transaction
from django.utils import timezone

from catalog.services import OutOfStock, StockLine, stock_commit, stock_release

from .actors import Actor
from .models import ApiKey, Channel, Order, OrderEvent, OrderStatus
from .signals import order_status_changed
from .status import Effect, transition_for


class OrderError(Exception):
    """An order rule was broken; the message is fit to show a user."""


class TransitionRefused(OrderError):
    pass


def _stock_lines(order: Order) -> list[StockLine]:
    return [
        StockLine(variant_id=line.variant_id, quantity=line.quantity)
        for line in order.lines.all()
        if line.variant_id
    ]


def _book_sale(order: Order, actor: Actor) -> None:
    if order.stock_committed:
        return
    try:
        stock_commit(lines=_stock_lines(order), reference=order.reference, actor=actor.user)
    except OutOfStock as exc:
        raise TransitionRefused(str(exc)) from exc
    order.stock_committed = True
    order.save(update_fields=["stock_committed", "updated_at"])
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.STOCK,
        message="Stock decreased and sales recorded.",
        actor=actor,
    )


def _reverse_sale(order: Order, actor: Actor) -> None:
    if not order.stock_committed:
        return
    stock_release(lines=_stock_lines(order), reference=order.reference, actor=actor.user)
    order.stock_committed = False
    order.save(update_fields=["stock_committed", "updated_at"])
    order_event_add(
        order=order, kind=OrderEvent.Kind.STOCK, message="Stock and sales restored.", actor=actor
    )


EFFECTS = {Effect.BOOK_SALE: _book_sale, Effect.REVERSE_SALE: _reverse_sale}


def order_event_add(
    *, order: Order, kind: str, actor: Actor, message: str = "", from_status="", to_status=""
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message,
        from_status=from_status,
        to_status=to_status,
        **actor.event_fields(),
    )


@transaction.atomic
def order_transition(*, order_id: int, to: str, actor: Actor, note: str = "") -> Order:
    """Move an order to status `to`, if the status machine allows it now.

    Guarantees: the order row is locked for the whole change, so concurrent transitions
    serialise and each effect (booking or reversing the sale) happens exactly once; a refused
    move raises TransitionRefused and changes nothing; the timeline records who, when, from,
    to and the note; `order_status_changed` is sent after the new status is saved, inside the
    same transaction.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    source = order.status
    if to not in OrderStatus.values:
        raise TransitionRefused(f"“{to}” is not an order status.")
    move = transition_for(source, to)
    if move is None:
        raise TransitionRefused(
            f"An order that is {OrderStatus(source).label} cannot become {OrderStatus(to).label}."
        )
    refusal = move.refusal(order)
    if refusal:
        raise TransitionRefused(refusal)
    order.status = to
    order.save(update_fields=["status", "updated_at"])
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status=source,
        to_status=to,
        message=note.strip(),
        actor=actor,
    )
    for effect in move.effects:
        EFFECTS[effect](order, actor)
    order_status_changed.send(
        sender=Order, order=order, from_status=source, to_status=to, actor=actor, note=note
    )
    return order


@transaction.atomic
def order_note_add(*, order_id: int, text: str, actor: Actor) -> OrderEvent:
    """A note staff typed, kept in the order's timeline."""
    text = text.strip()
    if not text:
        raise OrderError("A note cannot be empty.")
    order = Order.objects.get(pk=order_id)
    return order_event_add(order=order, kind=OrderEvent.Kind.NOTE, message=text, actor=actor)


@transaction.atomic
def apikey_create(*, name: str, channel: str, actor: Actor) -> tuple[ApiKey, str]:
    """A new API key for a channel. Returns the key and its raw secret, which is never stored
    and so can be shown once only."""
    name = name.strip()
    if not name:
        raise OrderError("Give the key a name, such as “Storefront” or “Register 1”.")
    if channel not in {Channel.ONLINE, Channel.IN_STORE}:
        raise OrderError("An API key belongs to the online or the in-store channel.")
    raw, lookup, key_hash = ApiKey.generate()
    key = ApiKey.objects.create(
        name=name, channel=channel, lookup=lookup, key_hash=key_hash, created_by=actor.user
    )
    return key, raw


@transaction.atomic
def apikey_revoke(*, api_key_id: int, actor: Actor) -> ApiKey:
    """Revoke a key: requests with it are refused from now on. Revoking twice is harmless."""
    key = ApiKey.objects.select_for_update().get(pk=api_key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
