import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog.models import SerialCode
from catalog.services import (
    OutOfSerialCodes,
    SerialCodeNotReturnable,
    serial_code_return_to_pool,
    serial_codes_allocate,
    serial_codes_mark_delivered,
    serial_codes_retire,
)
from tests.factories import VariantFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_never_get_the_same_code():
    variant = VariantFactory(hands_out_serial_codes=True)
    SerialCode.objects.bulk_create(SerialCode(variant=variant, code=f"K{i}") for i in range(10))
    barrier = threading.Barrier(12)
    got, refused, lock = [], [], threading.Lock()

    def buy(n):
        try:
            barrier.wait()
            codes = serial_codes_allocate(variant_id=variant.pk, quantity=1, reference=f"order:{n}")
            with lock:
                got.extend(c.code for c in codes)
        except OutOfSerialCodes:
            with lock:
                refused.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == len(set(got)) == 10
    assert len(refused) == 2


Status = SerialCode.Status


def pool(n=3):
    variant = VariantFactory(hands_out_serial_codes=True)
    SerialCode.objects.bulk_create(SerialCode(variant=variant, code=f"K{i}") for i in range(n))
    return variant


def statuses(variant) -> list[tuple[str, str, str]]:
    return list(
        SerialCode.objects.filter(variant=variant)
        .order_by("id")
        .values_list("code", "status", "allocation_reference")
    )


@pytest.mark.django_db
def test_retiring_keeps_the_codes_with_their_order_and_out_of_the_pool(staff_user):
    variant = pool()
    serial_codes_allocate(variant_id=variant.pk, quantity=2, reference="order:1")

    assert serial_codes_retire(reference="order:1", actor=staff_user) == 2

    assert statuses(variant) == [
        ("K0", Status.RETIRED, "order:1"),
        ("K1", Status.RETIRED, "order:1"),
        ("K2", Status.AVAILABLE, ""),
    ]
    assert SerialCode.objects.get(code="K0").retired_by == staff_user
    (fresh,) = serial_codes_allocate(variant_id=variant.pk, quantity=1, reference="order:1")
    assert fresh.code == "K2"
    with pytest.raises(OutOfSerialCodes, match="1 needed, 0 left"):
        serial_codes_allocate(variant_id=variant.pk, quantity=1, reference="order:2")


@pytest.mark.django_db
def test_a_retired_code_never_delivered_can_be_returned_to_the_pool(store_admin):
    variant = pool(1)
    (code,) = serial_codes_allocate(variant_id=variant.pk, quantity=1, reference="order:1")
    serial_codes_retire(reference="order:1")

    serial_code_return_to_pool(code_id=code.pk, actor=store_admin)

    code.refresh_from_db()
    assert (code.status, code.allocation_reference, code.retired_at) == (Status.AVAILABLE, "", None)
    assert code.returned_by == store_admin and code.returned_at is not None
    (again,) = serial_codes_allocate(variant_id=variant.pk, quantity=1, reference="order:2")
    assert again.pk == code.pk


@pytest.mark.django_db
def test_a_delivered_or_assigned_code_cannot_be_returned(store_admin):
    variant = pool(2)
    delivered, held = serial_codes_allocate(variant_id=variant.pk, quantity=2, reference="order:1")
    assert serial_codes_mark_delivered(code_ids=[delivered.pk]) == 1
    with pytest.raises(SerialCodeNotReturnable, match="not retired"):
        serial_code_return_to_pool(code_id=held.pk, actor=store_admin)
    serial_codes_retire(reference="order:1")

    with pytest.raises(SerialCodeNotReturnable, match="can never be handed out again"):
        serial_code_return_to_pool(code_id=delivered.pk, actor=store_admin)

    assert statuses(variant) == [
        ("K0", Status.RETIRED, "order:1"),
        ("K1", Status.RETIRED, "order:1"),
    ]


@pytest.mark.django_db
def test_marking_delivered_counts_only_codes_an_order_holds():
    variant = pool(2)
    (held,) = serial_codes_allocate(variant_id=variant.pk, quantity=1, reference="order:1")
    free = SerialCode.objects.get(code="K1")
    assert serial_codes_mark_delivered(code_ids=[held.pk, free.pk]) == 1
    free.refresh_from_db()
    assert free.delivered_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"status": "assigned"},  # assigned to nobody
        {"status": "available", "delivered_at": timezone.now()},  # a delivered code in the pool
        {"status": "retired", "allocated_at": timezone.now(), "allocation_reference": "order:1"},
        {"status": "lost"},
    ],
)
def test_the_database_refuses_a_code_whose_facts_contradict_its_status(fields):
    variant = pool(0)
    with pytest.raises(IntegrityError), transaction.atomic():
        SerialCode.objects.create(variant=variant, code="X", **fields)
