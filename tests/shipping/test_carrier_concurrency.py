"""Two people typing the same new courier at once make one carrier."""

import threading

import pytest
from django.db import connection

from orders.actors import Actor
from shipping.models import Carrier, Shipment
from shipping.services import shipment_create
from tests.factories import order_with_lines

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_new_courier_typed_twice_at_once_is_one_carrier():
    orders = [order_with_lines(lines=1, status="paid") for _ in range(2)]
    start = threading.Barrier(2)
    errors = []

    def ship(order, name):
        try:
            start.wait()
            shipment_create(
                order_id=order.pk,
                carrier_name=name,
                tracking_numbers=["REF-1"],
                actor=Actor.system("Test"),
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=ship, args=(order, name))
        for order, name in zip(orders, ["Parcel Bros", "PARCEL BROS"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Carrier.objects.filter(name__iexact="parcel bros").count() == 1
    assert Shipment.objects.values("carrier").distinct().count() == 1
