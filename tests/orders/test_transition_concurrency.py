import threading

import pytest
from django.db import connection

from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from orders.services import TransitionRefused, order_transition
from tests.factories import OrderLineFactory, VariantFactory, order_with_lines


def _race(target, count):
    barrier = threading.Barrier(count)
    results, lock = [], threading.Lock()

    def run():
        try:
            barrier.wait()
            target()
            outcome = "ok"
        except TransitionRefused:
            outcome = "refused"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_mark_paid_books_the_sale_once():
    variant = VariantFactory(stock=10)
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, quantity=3)

    results = _race(
        lambda: order_transition(
            order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
        ),
        6,
    )

    assert sorted(results) == ["ok"] + ["refused"] * 5
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (7, 3)
    assert order.events.filter(kind=OrderEvent.Kind.STATUS).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_rollbacks_restore_stock_once():
    variant = VariantFactory(stock=10)
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, quantity=3)
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )

    results = _race(
        lambda: order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=Actor.system()),
        6,
    )

    assert results.count("ok") == 1
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (10, 0)
