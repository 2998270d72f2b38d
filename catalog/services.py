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


@transaction.atomic
def stock_adjust(*, variant_id: int, delta: int, reason: str, reference: str = "", actor=None):
    """Change one variant's stock by `delta` and record it in the ledger.

    Guarantees: stock never goes below zero (a refused decrement raises OutOfStock and changes
    nothing); the ledger row and the counter change commit together.
    """
    if delta == 0:
        raise CatalogError("A stock adjustment must change the stock.")
    rows = Variant.objects.filter(pk=variant_id)
    if delta < 0:
        rows = rows.filter(stock__gte=-delta)
    updated = rows.update(stock=F("stock") + delta)
    if updated == 0:
        variant = Variant.objects.get(pk=variant_id)
        raise OutOfStock(variant=variant, requested=-delta)
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


def _merged(lines: Iterable[StockLine]) -> list[StockLine]:
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.variant_id] = totals.get(line.variant_id, 0) + line.quantity
    # Lock rows in primary-key order so concurrent orders never deadlock (Saleor's rule).
    return [StockLine(variant_id=v, quantity=q) for v, q in sorted(totals.items()) if q]


@transaction.atomic
def stock_commit(*, lines: Iterable[StockLine], reference: str, actor=None) -> None:
    """A sale: decrease stock and increase units sold for every line, all or nothing.

    Variants that do not track stock only count the sale. Raises OutOfStock naming the first
    variant short of stock; nothing is changed then.
    """
    for line in _merged(lines):
        untracked = Variant.objects.filter(pk=line.variant_id, track_stock=False).update(
            units_sold=F("units_sold") + line.quantity
        )
        if untracked:
            continue
        updated = Variant.objects.filter(pk=line.variant_id, stock__gte=line.quantity).update(
            stock=F("stock") - line.quantity, units_sold=F("units_sold") + line.quantity
        )
        if updated == 0:
            raise OutOfStock(
                variant=Variant.objects.get(pk=line.variant_id), requested=line.quantity
            )
        _ledger(line.variant_id, -line.quantity, StockMovement.Reason.SALE, reference, actor)


@transaction.atomic
def stock_release(*, lines: Iterable[StockLine], reference: str, actor=None) -> None:
    """The exact reverse of stock_commit for the same lines (rollback, cancel)."""
    for line in _merged(lines):
        untracked = Variant.objects.filter(pk=line.variant_id, track_stock=False).update(
            units_sold=F("units_sold") - line.quantity
        )
        if untracked:
            continue
        updated = Variant.objects.filter(pk=line.variant_id, units_sold__gte=line.quantity).update(
            stock=F("stock") + line.quantity, units_sold=F("units_sold") - line.quantity
        )
        if updated == 0:
            raise CatalogError(f"Cannot reverse a sale of variant {line.variant_id}: not sold.")
        _ledger(
            line.variant_id, line.quantity, StockMovement.Reason.SALE_REVERSAL, reference, actor
        )


def _ledger(variant_id: int, delta: int, reason: str, reference: str, actor) -> None:
    stock_after = Variant.objects.values_list("stock", flat=True).get(pk=variant_id)
    StockMovement.objects.create(
        variant_id=variant_id,
        delta=delta,
        reason=reason,
        reference=reference,
        stock_after=stock_after,
        actor=actor,
    )


@transaction.atomic
def serial_codes_allocate(*, variant_id: int, quantity: int, reference: str) -> list[SerialCode]:
    """Hand out `quantity` free codes of a variant's pool to `reference` (e.g. "order:100123").

    Concurrent allocations never hand out the same code: free rows are locked with SKIP LOCKED,
    so two buyers take different codes without waiting on each other. Raises OutOfSerialCodes
    (and allocates nothing) when the pool is short.
    """
    codes = list(
        SerialCode.objects.select_for_update(skip_locked=True)
        .filter(variant_id=variant_id, allocated_at__isnull=True)
        .order_by("id")[:quantity]
    )
    if len(codes) < quantity:
        raise OutOfSerialCodes(
            variant=Variant.objects.get(pk=variant_id), requested=quantity, available=len(codes)
        )
    now = timezone.now()
    SerialCode.objects.filter(pk__in=[c.pk for c in codes]).update(
        allocated_at=now, allocation_reference=reference
    )
    for code in codes:
        code.allocated_at, code.allocation_reference = now, reference
    return codes


@transaction.atomic
def serial_codes_release(*, reference: str) -> int:
    """Put every code handed out to `reference` back in its pool; returns how many."""
    return SerialCode.objects.filter(allocation_reference=reference).update(
        allocated_at=None, allocation_reference=""
    )
