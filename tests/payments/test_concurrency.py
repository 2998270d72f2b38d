"""Many paths racing to pay (and roll back) one order, with real threads against Postgres."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import StockMovement
from orders.actors import Actor
from orders.models import OrderStatus
from orders.services import OrderError, order_transition
from payments.charging import order_charge
from payments.gateways.test import TestGatewayClient, signed_test_notification
from payments.models import GatewayNotification, Payment, PaymentAttempt
from payments.notifications import notification_receive
from payments.services import AlreadyPaid, PaymentInfo, order_mark_paid
from tests.factories import OrderLineFactory, UserFactory, VariantFactory, order_with_lines
from tests.payments.factories import GatewayFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(tasks):
    """Run every task in its own thread, all released at once; returns what each returned
    (or the exception it raised)."""
    barrier = threading.Barrier(len(tasks))
    results = [None] * len(tasks)

    def run(i, task):
        try:
            barrier.wait()
            results[i] = task()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def refunds(monkeypatch):
    """Every refund the test gateway is asked for, from any thread."""
    asked, lock = [], threading.Lock()
    real = TestGatewayClient.refund

    def spy(self, **kwargs):
        with lock:
            asked.append(kwargs["transaction_id"])
        return real(self, **kwargs)

    monkeypatch.setattr(TestGatewayClient, "refund", spy)
    return asked


@pytest.fixture
def scheduled_refunds(monkeypatch):
    scheduled = []
    monkeypatch.setattr("payments.tasks.payment_refund.delay", scheduled.append)
    return scheduled


def pending_order(*, stock=10, quantity=3):
    variant = VariantFactory(stock=stock, price=Decimal("10.00"))
    order = order_with_lines(lines=0, payment_token="tok_approve")
    OrderLineFactory(order=order, variant=variant, quantity=quantity)
    order.refresh_from_db()
    return order, variant


def test_fifty_concurrent_attempts_to_pay_one_order_pay_it_once(refunds):
    gateway = GatewayFactory()
    staff = Actor(user=UserFactory(role="staff"))
    order, variant = pending_order()

    def charge():
        return order_charge(order_id=order.pk, actor=staff)

    def notify(i):
        body, headers = signed_test_notification(
            gateway,
            event_type="payment.succeeded",
            order_number=order.number,
            amount=order.total,
            event_id=f"evt_race_{i}",
            transaction_id=f"tst_notified_{i}",
        )
        return lambda: notification_receive(gateway_id=gateway.pk, body=body, headers=headers)

    def manual(i):
        return lambda: order_mark_paid(
            order_id=order.pk,
            payment=PaymentInfo(method=Payment.Method.CHECK, amount=order.total, reference=f"C{i}"),
            actor=staff,
        )

    tasks = [[charge, notify(i), manual(i)][i % 3] for i in range(50)]
    results = race(tasks)

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, OrderError)]
    assert unexpected == []
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PAID
    [live] = Payment.objects.filter(order=order)
    assert live.status == Payment.Status.CAPTURED
    assert (variant.stock, variant.units_sold) == (7, 3)
    assert StockMovement.objects.filter(variant=variant).count() == 1
    assert GatewayNotification.objects.count() == 17
    # Every charge the gateway approved is the order's payment or was refunded at once.
    approved = set(
        PaymentAttempt.objects.filter(
            order=order, outcome=PaymentAttempt.Outcome.APPROVED
        ).values_list("transaction_id", flat=True)
    )
    assert approved - {live.transaction_id} == set(refunds)
    assert live.transaction_id not in refunds
    # The manual payments that lost were refused, not recorded.
    refused = [r for r in results if isinstance(r, AlreadyPaid)]
    assert refused and all("not waiting for payment" in str(r) for r in refused)


def test_concurrent_replays_of_one_notification_apply_it_once():
    gateway = GatewayFactory()
    order, variant = pending_order()
    body, headers = signed_test_notification(
        gateway,
        event_type="payment.succeeded",
        order_number=order.number,
        amount=order.total,
        event_id="evt_once",
    )

    results = race(
        [lambda: notification_receive(gateway_id=gateway.pk, body=body, headers=headers)] * 20
    )

    assert [r.duplicate for r in results].count(False) == 1
    assert {r.outcome for r in results} == {"paid"}
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (7, 3)
    assert Payment.objects.filter(order=order).count() == 1
    assert GatewayNotification.objects.count() == 1


def test_concurrent_payments_and_rollbacks_never_double_count(refunds, scheduled_refunds):
    gateway = GatewayFactory()
    staff = Actor(user=UserFactory(role="staff"))
    order, variant = pending_order()

    def notify(i):
        body, headers = signed_test_notification(
            gateway,
            event_type="payment.succeeded",
            order_number=order.number,
            amount=order.total,
            event_id=f"evt_mix_{round_}_{i}",
            transaction_id=f"tst_mix_{round_}_{i}",
        )
        return lambda: notification_receive(gateway_id=gateway.pk, body=body, headers=headers)

    def rollback():
        return order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=staff)

    def manual(i):
        return lambda: order_mark_paid(
            order_id=order.pk,
            payment=PaymentInfo(method=Payment.Method.WIRE, amount=order.total, reference=f"W{i}"),
            actor=staff,
        )

    def charge():
        return order_charge(order_id=order.pk, actor=staff)

    for round_ in range(3):
        tasks = [[notify(i), rollback, manual(i), charge][i % 4] for i in range(24)]
        results = race(tasks)
        assert [
            r for r in results if isinstance(r, Exception) and not isinstance(r, OrderError)
        ] == []

        order.refresh_from_db()
        variant.refresh_from_db()
        live = Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).count()
        if order.status == OrderStatus.PAID:
            assert (variant.stock, variant.units_sold, live) == (7, 3, 1)
        else:
            assert (variant.stock, variant.units_sold, live) == (10, 0, 0)
        # Every gateway payment that was rolled back has its refund scheduled.
        rolled_back = Payment.objects.filter(
            order=order, status=Payment.Status.REFUND_PENDING
        ).values_list("pk", flat=True)
        assert set(rolled_back) == set(scheduled_refunds)
        movements = StockMovement.objects.filter(variant=variant)
        assert sum(m.delta for m in movements) == variant.stock - 10
