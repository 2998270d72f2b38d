"""Every write to stock and units sold. Counters change in the database, never in Python."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import SerialCode, StockMovement, Variant


class CatalogError(Exception):
    """A catalog rule was broken; the message is fit to show a user."""


class OutOfSerialCodes(CatalogError):
    def __init__(self, *, variant: Variant, requested: int, available: int):
        self.variant = variant
        super().__init__(
            f"Not enough serial codes for {variant.sku}: {requested} needed, {available} left "
            "in the pool. Add codes to the pool first."
        )


class OutOfStock(CatalogError):
    def __init__(self, *, variant: Variant, requested: int):
        self.variant = variant
        self.requested = requested
        super().__init__(
            f"Not enough stock for {variant.sku}: {requested} requested, {variant.stock} on hand."
        )


@dataclass(frozen=True)
class StockLine:
    variant_id: int
    quantity: int
    # Of `quantity`, how many were sold on backorder (not taken from stock): only known once
    # the sale is booked, and needed to reverse it exactly.
    backordered: int = 0


@transaction.atomic
def stock_adjust(*, variant_id: int, delta: int, reason: str, reference: str = "", actor=None):
    """Change one variant's stock by `delta` and record it in the ledger.

    Guarantees: stock never goes below zero (a refused decrement raises OutOfStock and changes
    nothing); units that arrive fill backorders first (the ledger shows both movements); the
    ledger rows and the counters commit together.
    """
    if delta == 0:
        raise CatalogError("A stock adjustment must change the stock.")
    if delta < 0:
        updated = Variant.objects.filter(pk=variant_id, stock__gte=-delta).update(
            stock=F("stock") + delta
        )
        if updated == 0:
            raise OutOfStock(variant=Variant.objects.get(pk=variant_id), requested=-delta)
        return _ledger(variant_id, delta, reason, reference, actor)
    variant = Variant.objects.select_for_update().get(pk=variant_id)
    fill = min(variant.backordered, delta)
    Variant.objects.filter(pk=variant_id).update(
        stock=F("stock") + delta - fill, backordered=F("backordered") - fill
    )
    StockMovement.objects.create(
        variant_id=variant_id,
        delta=delta,
        reason=reason,
        reference=reference,
        stock_after=variant.stock + delta,
        actor=actor,
    )
    if fill:
        return _ledger(variant_id, -fill, StockMovement.Reason.BACKORDER_FILLED, reference, actor)
    return variant.stock + delta


def _merged(lines: Iterable[StockLine]) -> list[StockLine]:
    totals: dict[int, tuple[int, int]] = {}
    for line in lines:
        quantity, backordered = totals.get(line.variant_id, (0, 0))
        totals[line.variant_id] = (quantity + line.quantity, backordered + line.backordered)
    # Lock rows in primary-key order so concurrent orders never deadlock (Saleor's rule).
    return [StockLine(v, q, b) for v, (q, b) in sorted(totals.items()) if q]


@transaction.atomic
def stock_commit(
    *, lines: Iterable[StockLine], reference: str, actor=None, allow_backorders: bool = False
) -> dict[int, int]:
    """A sale: decrease stock and increase units sold for every line, all or nothing.

    Variants that do not track stock only count the sale. Short of stock, either raise
    OutOfStock naming the first variant short (nothing changed), or, with `allow_backorders`,
    take what is on hand and count the rest as backordered. Returns {variant_id: backordered}
    for the variants that went on backorder.
    """
    backordered: dict[int, int] = {}
    for line in _merged(lines):
        untracked = Variant.objects.filter(pk=line.variant_id, track_stock=False).update(
            units_sold=F("units_sold") + line.quantity
        )
        if untracked:
            continue
        updated = Variant.objects.filter(pk=line.variant_id, stock__gte=line.quantity).update(
            stock=F("stock") - line.quantity, units_sold=F("units_sold") + line.quantity
        )
        if updated:
            _ledger(line.variant_id, -line.quantity, StockMovement.Reason.SALE, reference, actor)
            continue
        variant = Variant.objects.select_for_update().get(pk=line.variant_id)
        if not allow_backorders:
            raise OutOfStock(variant=variant, requested=line.quantity)
        take = min(variant.stock, line.quantity)
        short = line.quantity - take
        Variant.objects.filter(pk=variant.pk).update(
            stock=F("stock") - take,
            units_sold=F("units_sold") + line.quantity,
            backordered=F("backordered") + short,
        )
        if take:
            _ledger(variant.pk, -take, StockMovement.Reason.SALE, reference, actor)
        backordered[variant.pk] = short
    return backordered


@transaction.atomic
def stock_release(*, lines: Iterable[StockLine], reference: str, actor=None) -> None:
    """The exact reverse of stock_commit for the same lines (rollback, cancel): units sold go
    down, the backordered part comes off the backorders (as far as they were not filled
    since: those units are on the shelf now) and the rest goes back into stock."""
    for line in _merged(lines):
        variant = Variant.objects.select_for_update().get(pk=line.variant_id)
        if variant.units_sold < line.quantity:
            raise CatalogError(f"Cannot reverse a sale of {variant.sku}: it was not sold.")
        if not variant.track_stock:
            Variant.objects.filter(pk=variant.pk).update(units_sold=F("units_sold") - line.quantity)
            continue
        unfill = min(line.backordered, variant.backordered)
        back = line.quantity - unfill
        Variant.objects.filter(pk=variant.pk).update(
            stock=F("stock") + back,
            units_sold=F("units_sold") - line.quantity,
            backordered=F("backordered") - unfill,
        )
        if back:
            _ledger(variant.pk, back, StockMovement.Reason.SALE_REVERSAL, reference, actor)


def _ledger(variant_id: int, delta: int, reason: str, reference: str, actor) -> int:
    stock_after = Variant.objects.values_list("stock", flat=True).get(pk=variant_id)
    StockMovement.objects.create(
        variant_id=variant_id,
        delta=delta,
        reason=reason,
        reference=reference,
        stock_after=stock_after,
        actor=actor,
    )
    return stock_after


@transaction.atomic
def serial_codes_allocate(*, variant_id: int, quantity: int, reference: str) -> list[SerialCode]:
    """Hand out `quantity` available codes of a variant's pool to `reference` ("order:100123").

    Concurrent allocations never hand out the same code: available rows are locked with SKIP
    LOCKED, so two buyers take different codes without waiting on each other, and the update
    only takes rows still available. Only available codes are handed out: a retired code (one
    a rolled-back sale held) never is. Raises OutOfSerialCodes (and allocates nothing) when
    the pool is short.
    """
    Status = SerialCode.Status
    codes = list(
        SerialCode.objects.select_for_update(skip_locked=True)
        .filter(variant_id=variant_id, status=Status.AVAILABLE)
        .order_by("id")[:quantity]
    )
    if len(codes) < quantity:
        raise OutOfSerialCodes(
            variant=Variant.objects.get(pk=variant_id), requested=quantity, available=len(codes)
        )
    now = timezone.now()
    taken = SerialCode.objects.filter(pk__in=[c.pk for c in codes], status=Status.AVAILABLE).update(
        status=Status.ASSIGNED, allocated_at=now, allocation_reference=reference
    )
    if taken != quantity:  # cannot happen while the rows are locked; never hand out less
        raise CatalogError(f"Serial codes of {variant_id} changed while being handed out.")
    for code in codes:
        code.status, code.allocated_at, code.allocation_reference = Status.ASSIGNED, now, reference
    return codes


@transaction.atomic
def serial_codes_retire(*, reference: str, actor=None) -> int:
    """Retire every code assigned to `reference` (its sale was rolled back or cancelled).

    A retired code stays with its order for staff to see and is never handed out again: it
    may have reached the buyer. Returns how many were retired.
    """
    return SerialCode.objects.filter(
        allocation_reference=reference, status=SerialCode.Status.ASSIGNED
    ).update(status=SerialCode.Status.RETIRED, retired_at=timezone.now(), retired_by=actor)


@transaction.atomic
def serial_codes_mark_delivered(*, code_ids: Iterable[int]) -> int:
    """Record that these codes are being sent to their buyer (first time only counts).

    Called before an email carrying them leaves, so a crash after the send still leaves them
    marked: a delivered code can never be returned to the pool. Returns how many of them are
    still held by an order (assigned or retired) and so marked; fewer than asked means one
    went back to the pool meanwhile and must not be sent.
    """
    held = list(
        SerialCode.objects.select_for_update()
        .filter(pk__in=list(code_ids))
        .exclude(status=SerialCode.Status.AVAILABLE)
        .values_list("pk", flat=True)
    )
    SerialCode.objects.filter(pk__in=held, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )
    return len(held)


class SerialCodeNotReturnable(CatalogError):
    pass


@transaction.atomic
def serial_code_return_to_pool(*, code_id: int, actor) -> SerialCode:
    """A store admin's deliberate return of a retired, never-delivered code to its pool.

    Guarantees: only a retired code that no email ever carried goes back (else
    SerialCodeNotReturnable, nothing changed); who returned it and when is recorded; the
    row is locked, so a concurrent delivery or return waits and then sees the new state.
    """
    code = SerialCode.objects.select_for_update().get(pk=code_id)
    if code.status != SerialCode.Status.RETIRED:
        raise SerialCodeNotReturnable(
            f"Serial code {code.code} is {code.get_status_display().lower()}, not retired: "
            "only a retired code can go back to the pool."
        )
    if code.delivered_at is not None:
        raise SerialCodeNotReturnable(
            f"Serial code {code.code} was sent to a buyer on {code.delivered_at:%Y-%m-%d}: "
            "it can never be handed out again."
        )
    code.status = SerialCode.Status.AVAILABLE
    code.allocated_at = code.retired_at = code.retired_by = None
    code.allocation_reference = ""
    code.returned_at, code.returned_by = timezone.now(), actor
    code.save(
        update_fields=[
            "status",
            "allocated_at",
            "allocation_reference",
            "retired_at",
            "retired_by",
            "returned_at",
            "returned_by",
        ]
    )
    return code
