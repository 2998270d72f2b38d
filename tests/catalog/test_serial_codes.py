import threading

import pytest
from django.db import connection

from catalog.models import SerialCode
from catalog.services import OutOfSerialCodes, serial_codes_allocate, serial_codes_release
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


@pytest.mark.django_db
def test_release_puts_codes_back_in_the_pool():
    variant = VariantFactory(hands_out_serial_codes=True)
    SerialCode.objects.bulk_create(SerialCode(variant=variant, code=f"K{i}") for i in range(3))
    serial_codes_allocate(variant_id=variant.pk, quantity=2, reference="order:1")
    assert serial_codes_release(reference="order:1") == 2
    assert (
        SerialCode.objects.filter(allocated_at__isnull=True, allocation_reference="").count() == 3
    )
