import threading

import pytest
from django.db import IntegrityError, connection

from catalog.models import StockMovement, Variant
from catalog.services import (
    CatalogError,
    OutOfStock,
    StockLine,
    stock_adjust,
    stock_commit,
    stock_release,
)
from tests.factories import VariantFactory


@pytest.mark.django_db
def test_adjust_records_every_movement_with_its_reason():
    variant = VariantFactory(stock=5)
    stock_adjust(
        variant_id=variant.pk, delta=10, reason=StockMovement.Reason.RECEIPT, reference="PO-1"
    )
    stock_adjust(variant_id=variant.pk, delta=-3, reason=StockMovement.Reason.ADJUSTMENT)
    variant.refresh_from_db()
    assert variant.stock == 12
    rows = list(variant.movements.order_by("id").values_list("delta", "reason", "stock_after"))
    assert rows == [(10, "receipt", 15), (-3, "adjustment", 12)]


@pytest.mark.django_db
def test_adjust_below_zero_is_refused_and_changes_nothing():
    variant = VariantFactory(stock=2)
    with pytest.raises(OutOfStock, match="3 requested, 2 on hand"):
        stock_adjust(variant_id=variant.pk, delta=-3, reason=StockMovement.Reason.ADJUSTMENT)
    variant.refresh_from_db()
    assert variant.stock == 2
    assert not variant.movements.exists()


@pytest.mark.django_db
def test_zero_adjustment_is_refused():
    variant = VariantFactory()
    with pytest.raises(CatalogError):
        stock_adjust(variant_id=variant.pk, delta=0, reason=StockMovement.Reason.ADJUSTMENT)


@pytest.mark.django_db
def test_commit_is_all_or_nothing_across_lines():
    plenty, scarce = VariantFactory(stock=10), VariantFactory(stock=1)
    with pytest.raises(OutOfStock):
        stock_commit(lines=[StockLine(plenty.pk, 2), StockLine(scarce.pk, 2)], reference="order:1")
    plenty.refresh_from_db()
    assert (plenty.stock, plenty.units_sold) == (10, 0)
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
def test_commit_merges_repeated_variants():
    variant = VariantFactory(stock=10)
    stock_commit(lines=[StockLine(variant.pk, 2), StockLine(variant.pk, 3)], reference="order:1")
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (5, 5)


@pytest.mark.django_db
def test_untracked_variants_count_sales_without_stock():
    variant = VariantFactory(stock=0, track_stock=False)
    stock_commit(lines=[StockLine(variant.pk, 4)], reference="order:1")
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (0, 4)


@pytest.mark.django_db
def test_database_refuses_negative_stock_even_when_code_forgets():
    variant = VariantFactory(stock=1)
    with pytest.raises(IntegrityError):
        Variant.objects.filter(pk=variant.pk).update(stock=-1)


@pytest.mark.django_db(transaction=True)
def test_stock_never_goes_below_zero_under_concurrent_decrements():
    variant = VariantFactory(stock=10)
    threads_count = 16
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy():
        try:
            barrier.wait()
            stock_commit(lines=[StockLine(variant.pk, 1)], reference="order:x")
            result = "sold"
        except OutOfStock:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    variant.refresh_from_db()
    assert outcomes.count("sold") == 10
    assert outcomes.count("refused") == 6
    assert (variant.stock, variant.units_sold) == (0, 10)
    assert StockMovement.objects.filter(variant=variant).count() == 10


@pytest.mark.django_db
def test_short_stock_goes_on_backorder_when_the_store_allows_it():
    variant = VariantFactory(stock=2, units_sold=0)
    backordered = stock_commit(
        lines=[StockLine(variant.pk, 5)], reference="order:1", allow_backorders=True
    )
    assert backordered == {variant.pk: 3}
    variant.refresh_from_db()
    assert (variant.stock, variant.backordered, variant.units_sold) == (0, 3, 5)
    assert list(variant.movements.values_list("delta", "reason")) == [(-2, "sale")]


@pytest.mark.django_db
def test_arriving_stock_fills_backorders_first():
    variant = VariantFactory(stock=0, backordered=3)
    stock_adjust(variant_id=variant.pk, delta=5, reason=StockMovement.Reason.RECEIPT)
    variant.refresh_from_db()
    assert (variant.stock, variant.backordered) == (2, 0)
    rows = list(variant.movements.order_by("id").values_list("delta", "reason", "stock_after"))
    assert rows == [(5, "receipt", 5), (-3, "backorder_filled", 2)]


@pytest.mark.django_db
def test_releasing_a_backordered_sale_restores_stock_and_backorders_exactly():
    variant = VariantFactory(stock=2, units_sold=1)
    booked = stock_commit(lines=[StockLine(variant.pk, 5)], reference="o", allow_backorders=True)
    stock_release(lines=[StockLine(variant.pk, 5, booked[variant.pk])], reference="o")
    variant.refresh_from_db()
    assert (variant.stock, variant.backordered, variant.units_sold) == (2, 0, 1)
