import threading

import pytest
from django.db import connection

from orders.actors import Actor
from orders.models import OrderStatus
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from purchasing.services import PurchasingError, po_create_for_order
from tests.factories import order_with_lines

from .conftest import email_vendor, supplied_line


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_create_and_send_make_one_po_per_vendor_and_no_line_twice():
    a, b = email_vendor(name="Acme Supply"), email_vendor(name="Bolt Wholesale")
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    lines = [supplied_line(order, a), supplied_line(order, a), supplied_line(order, b)]
    choices = {lines[0].pk: a.pk, lines[1].pk: a.pk, lines[2].pk: b.pk}
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    guard = threading.Lock()

    def click():
        try:
            barrier.wait()
            po_create_for_order(
                order_id=order.pk, choices=choices, send=True, actor=Actor.system("Staff")
            )
            result = "created"
        except PurchasingError as exc:
            result = "refused" if "is already on PO-" in str(exc) else f"other: {exc}"
        finally:
            connection.close()
        with guard:
            outcomes.append(result)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] + ["refused"] * 19
    pos = PurchaseOrder.objects.filter(order=order)
    assert sorted(pos.values_list("vendor__name", flat=True)) == ["Acme Supply", "Bolt Wholesale"]
    assert set(pos.values_list("status", flat=True)) == {PurchaseOrder.Status.SENT}
    per_line = PurchaseOrderLine.objects.filter(order_line__order=order)
    assert sorted(per_line.values_list("order_line_id", flat=True)) == sorted(choices)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
