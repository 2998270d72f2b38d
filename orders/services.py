"""Every write to orders. Each service is atomic and locks the order it changes."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import CatalogSettings
from catalog.services import (
    CatalogError,
    StockLine,
    serial_codes_allocate,
    serial_codes_retire,
    stock_commit,
    stock_release,
)
from core.text import NUL_MESSAGE, has_nul

from .actors import Actor
from .models import (
    ApiKey,
    Channel,
    DownloadLink,
    NewOrdersMarker,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    SavedView,
)
from .selectors import saved_view_query
from .signals import order_status_changed
from .status import Effect, Transition, refusal, transition_for

# Who completes a paid order that has nothing to ship.
NOTHING_TO_SHIP = Actor.system("Back office")


class OrderError(Exception):
    """An order rule was broken; the message is fit to show a user."""


class TransitionRefused(OrderError):
    pass


def _stock_lines(lines) -> list[StockLine]:
    return [
        StockLine(line.variant_id, line.quantity, line.quantity_backordered)
        for line in lines
        if line.variant_id
    ]


def _record_backorders(lines: list[OrderLine], backordered: dict[int, int]) -> int:
    """Spread each variant's backordered units over the order's lines of that variant."""
    changed = []
    for line in lines:
        short = min(backordered.get(line.variant_id, 0), line.quantity)
        if short:
            line.quantity_backordered = short
            backordered[line.variant_id] -= short
            changed.append(line)
    OrderLine.objects.bulk_update(changed, ["quantity_backordered"])
    return sum(line.quantity_backordered for line in changed)


def _lines_with_variants(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("variant").prefetch_related("variant__digital_files"))


def _book_sale(order: Order, actor: Actor) -> None:
    """Everything "paid" means, once: stock down and units sold up (in the ledger), serial codes
    handed out, download links made, the payment date recorded."""
    if order.stock_committed:
        return
    lines = _lines_with_variants(order)
    try:
        backordered = stock_commit(
            lines=_stock_lines(lines),
            reference=order.reference,
            actor=actor.user,
            allow_backorders=CatalogSettings.load().allow_backorders,
        )
        for line in lines:
            if line.variant and line.variant.hands_out_serial_codes:
                serial_codes_allocate(
                    variant_id=line.variant_id, quantity=line.quantity, reference=order.reference
                )
    except CatalogError as exc:
        raise TransitionRefused(str(exc)) from exc
    expires = timezone.now() + timedelta(days=settings.DOWNLOAD_LINK_DAYS)
    links = [
        DownloadLink(line=line, digital_file=f, token=secrets.token_urlsafe(32), expires_at=expires)
        for line in lines
        if line.variant
        for f in line.variant.digital_files.all()
    ]
    DownloadLink.objects.bulk_create(links)
    on_backorder = _record_backorders(lines, backordered)
    now = timezone.now()
    order.stock_committed = True
    order.paid_at = now
    order.first_paid_at = order.first_paid_at or now
    order.save(update_fields=["stock_committed", "paid_at", "first_paid_at", "updated_at"])
    handed = [
        "stock decreased and sales recorded",
        *(
            ["serial codes handed out"]
            if any(line.variant and line.variant.hands_out_serial_codes for line in lines)
            else []
        ),
        *([f"{len(links)} download link{'s' * (len(links) != 1)} created"] if links else []),
        *([f"{on_backorder} unit{'s' * (on_backorder != 1)} on backorder"] if on_backorder else []),
    ]
    order_event_add(order=order, kind=OrderEvent.Kind.STOCK, message=_sentence(handed), actor=actor)


def _reverse_sale(order: Order, actor: Actor) -> None:
    """The reverse of _book_sale: stock and units sold back, download links revoked, serial
    codes retired (they may have reached the buyer, so they never go back to the pool by
    themselves; a re-payment hands out fresh ones)."""
    if not order.stock_committed:
        return
    lines = list(order.lines.all())
    stock_release(lines=_stock_lines(lines), reference=order.reference, actor=actor.user)
    OrderLine.objects.filter(order=order, quantity_backordered__gt=0).update(quantity_backordered=0)
    codes = serial_codes_retire(reference=order.reference, actor=actor.user)
    revoked = DownloadLink.objects.filter(line__order=order, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    order.stock_committed = False
    order.paid_at = None
    order.save(update_fields=["stock_committed", "paid_at", "updated_at"])
    reversed_ = [
        "stock and sales restored",
        *([f"{codes} serial code{'s' * (codes != 1)} retired"] if codes else []),
        *([f"{revoked} download link{'s' * (revoked != 1)} revoked"] if revoked else []),
    ]
    order_event_add(
        order=order, kind=OrderEvent.Kind.STOCK, message=_sentence(reversed_), actor=actor
    )


def _sentence(parts: list[str]) -> str:
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return text[0].upper() + text[1:] + "."


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
def order_transition(
    *,
    order_id: int,
    to: str,
    actor: Actor,
    note: str = "",
    payment_recorded: bool = False,
    shipment_recorded: bool = False,
) -> Order:
    """Move an order to status `to`, if the status machine allows it now.

    Guarantees: the order row is locked for the whole change, so concurrent transitions
    serialise and each effect (booking or reversing the sale) happens exactly once; a refused
    move raises TransitionRefused and changes nothing; the timeline records who, when, from,
    to and the note; `order_status_changed` is sent after the new status is saved, inside the
    same transaction. A move that needs a payment (to Paid) is refused unless the caller has
    recorded one (`payment_recorded`): payments and the intake's captured orders do. A move
    that needs a shipment (to Shipped) is refused unless the caller has recorded one
    (`shipment_recorded`): shipping's shipment_create does.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    source = order.status
    move = _allowed_move(
        order, to, payment_recorded=payment_recorded, shipment_recorded=shipment_recorded
    )
    order.status = to
    order.save(update_fields=["status", "updated_at"])
    event = order_event_add(
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
        sender=Order,
        order=order,
        from_status=source,
        to_status=to,
        actor=actor,
        note=note,
        event=event,
    )
    if to == OrderStatus.PAID and not order.has_shippable_lines:
        # Nothing ships (digital goods, services, a counter sale): paid is done (seed 003).
        return order_transition(
            order_id=order.pk,
            to=OrderStatus.COMPLETE,
            actor=NOTHING_TO_SHIP,
            note="Nothing on this order ships.",
        )
    return order


def _allowed_move(
    order: Order, to: str, *, payment_recorded: bool, shipment_recorded: bool
) -> Transition:
    """The status machine's move of `order` to `to`, or TransitionRefused saying what would
    allow it (orders.status.refusal, from the one transition table)."""
    if to not in OrderStatus.values:
        raise TransitionRefused(f"“{to}” is not an order status.")
    reason = refusal(
        order, to, payment_recorded=payment_recorded, shipment_recorded=shipment_recorded
    )
    if reason:
        raise TransitionRefused(reason)
    return transition_for(order.status, to)


@dataclass(frozen=True)
class BulkRefusal:
    number: int
    from_status: str
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk status change did: the numbers it changed, and why it left the others."""

    to: str
    changed: list[int] = field(default_factory=list)
    refused: list[BulkRefusal] = field(default_factory=list)


def orders_transition_each(
    *, orders: list[tuple[int, int, str]], to: str, actor: Actor, note: str = ""
) -> BulkOutcome:
    """Move each of `orders` ((id, number, status) as listed) to status `to`, independently.

    Guarantees: each order goes through order_transition in a transaction of its own, so
    every change is as safe as a single one (locked, guarded, on the timeline, its effects
    once) and a refusal leaves the others as they are (called inside a transaction, each is
    a savepoint of it); moves that need a payment or a shipment are refused as they are
    singly. Orders are changed in the order given, which is the list's.
    """
    outcome = BulkOutcome(to=to)
    for order_id, number, status in orders:
        try:
            order_transition(order_id=order_id, to=to, actor=actor, note=note)
        except Order.DoesNotExist:
            outcome.refused.append(BulkRefusal(number, status, "It was deleted meanwhile."))
        except OrderError as exc:
            outcome.refused.append(BulkRefusal(number, status, str(exc)))
        else:
            outcome.changed.append(number)
    return outcome


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


@transaction.atomic
def order_delete(*, order_id: int, actor: Actor) -> int:
    """Delete an order that never counted: never paid, nothing shipped or sent.

    Anything that was paid (even if rolled back since), invoiced or shipped is part of the
    books and can only be cancelled. Returns the deleted order's number.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.first_paid_at is not None:
        raise OrderError(
            f"Order #{order.number} was paid once, so it stays on the books: cancel it instead."
        )
    if order.lines.filter(quantity_fulfilled__gt=0).exists():
        raise OrderError(f"Items of order #{order.number} were sent: cancel it instead.")
    if order.status not in {OrderStatus.PENDING, OrderStatus.CANCELLED}:
        raise OrderError("Only pending or cancelled orders can be deleted.")
    number = order.number
    order.delete()
    return number


def download_link_use(*, link_id: int) -> None:
    """Count a download (in the database: concurrent downloads all count)."""
    DownloadLink.objects.filter(pk=link_id).update(downloads=F("downloads") + 1)


def new_orders_marker_create(*, user) -> None:
    """Start `user`'s new-order alerts now: every online order already in is counted as seen,
    so a new user is not greeted with the whole history. One statement; a second tab's first
    poll racing this one changes nothing (ON CONFLICT DO NOTHING), nor does an existing mark.
    """
    newest = Order.objects.filter(channel=Channel.ONLINE).order_by("-id").values("id")[:1]
    NewOrdersMarker.objects.bulk_create(
        [NewOrdersMarker(user_id=user.pk, seen_up_to_id=Coalesce(Subquery(newest), Value(0)))],
        ignore_conflicts=True,
    )


def new_orders_mark_seen(*, user, up_to_id: int) -> bool:
    """Record that `user` has seen the online orders up to id `up_to_id`, and whether the mark
    moved. It only moves up, in one conditional UPDATE: two tabs reporting out of order never
    bring back an alert. A user without a mark gets none here; their first poll starts it."""
    moved = NewOrdersMarker.objects.filter(user_id=user.pk, seen_up_to_id__lt=up_to_id).update(
        seen_up_to_id=up_to_id, seen_at=timezone.now()
    )
    return bool(moved)


# ---- Saved views ----------------------------------------------------------------------------


@transaction.atomic
def saved_view_save(*, user, page: str, name: str, query: str, shared: bool) -> SavedView:
    """Save the list's filters under `name`; saving again under a name the user already has
    (in any case) replaces that view's filters. Guarantees: a view has a name and at least one
    filter (the unfiltered list is the All tab), and names are unique per user and page."""
    name = " ".join(name.split())
    if has_nul(name):
        raise OrderError(f"The view's name: {NUL_MESSAGE}")
    if page not in SavedView.Page.values:
        raise OrderError(f"There is no list called “{page}”.")
    if not name:
        raise OrderError("Give the view a name, such as “To ship today”.")
    if len(name) > 60:
        raise OrderError("A view's name has at most 60 characters.")
    query = saved_view_query(query)
    if not query:
        raise OrderError("Filter the list first: the unfiltered list is the All tab.")
    if len(query) > 1000:
        raise OrderError("These filters are too long to save as a view.")
    existing = (
        SavedView.objects.select_for_update()
        .filter(owner=user, page=page, name__iexact=name)
        .first()
    )
    if existing is not None:
        existing.name, existing.query, existing.shared = name, query, shared
        existing.save(update_fields=["name", "query", "shared"])
        return existing
    return SavedView.objects.create(owner=user, page=page, name=name, query=query, shared=shared)


@transaction.atomic
def saved_view_delete(*, user, view_id: int) -> SavedView:
    """Delete a saved view: one's own, or a shared one for a store admin (who may tidy up the
    tabs everyone sees)."""
    view = SavedView.objects.select_for_update().filter(pk=view_id).first()
    if view is None:
        raise OrderError("That view no longer exists.")
    may = view.owner_id == user.pk or (view.shared and user.has_perm("orders.delete_savedview"))
    if not may:
        raise OrderError(f"“{view.name}” is {view.owner}'s view: only they can delete it.")
    view.delete()
    return view
