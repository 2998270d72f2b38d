"""Every (status, target) pair of the order status machine, allowed or refused."""

import itertools

import pytest

from catalog.models import StockMovement
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from orders.services import TransitionRefused, order_transition
from orders.signals import order_status_changed
from orders.status import allowed_transitions
from tests.factories import OrderLineFactory, ProductFactory, VariantFactory, order_with_lines

S = OrderStatus
ALLOWED = {
    (S.PENDING, S.PAID),
    (S.PENDING, S.CANCELLED),
    (S.PAID, S.PENDING),
    (S.PAID, S.IN_PROCESS),
    (S.PAID, S.SHIPPED),
    (S.PAID, S.CANCELLED),
    (S.IN_PROCESS, S.SHIPPED),
    (S.IN_PROCESS, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.COMPLETE),
    (S.DELIVERED, S.COMPLETE),
}
# Allowed by the table, but only when nothing is left to ship (a digital order).
ALLOWED_WHEN_NOTHING_TO_SHIP = {(S.PAID, S.COMPLETE), (S.IN_PROCESS, S.COMPLETE)}
ALL_PAIRS = [(a, b) for a, b in itertools.product(S.values, S.values) if a != b]
ACTOR = Actor.system("Test")


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_status_pair_for_an_order_with_physical_goods(source, target):
    order = order_with_lines(lines=1, status=source)
    if (source, target) in ALLOWED:
        order_transition(
            order_id=order.pk,
            to=target,
            actor=ACTOR,
            payment_recorded=target == S.PAID,
            shipment_recorded=target == S.SHIPPED,
        )
        order.refresh_from_db()
        assert order.status == target
        event = order.events.get(kind=OrderEvent.Kind.STATUS)
        assert (event.from_status, event.to_status) == (source, target)
    else:
        with pytest.raises(TransitionRefused):
            order_transition(order_id=order.pk, to=target, actor=ACTOR)
        order.refresh_from_db()
        assert order.status == source
        assert not order.events.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED_WHEN_NOTHING_TO_SHIP))
def test_complete_is_allowed_once_nothing_is_left_to_ship(source, target):
    digital = VariantFactory(product=ProductFactory(is_shippable=False))
    order = order_with_lines(lines=0, status=source)
    OrderLineFactory(order=order, variant=digital)
    order_transition(order_id=order.pk, to=target, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == S.COMPLETE


@pytest.mark.django_db
def test_digital_order_cannot_be_marked_shipped_or_in_process():
    digital = VariantFactory(product=ProductFactory(is_shippable=False))
    order = order_with_lines(lines=0, status=S.PAID)
    OrderLineFactory(order=order, variant=digital)
    for target in (S.SHIPPED, S.IN_PROCESS):
        with pytest.raises(TransitionRefused, match="Nothing on this order ships"):
            order_transition(
                order_id=order.pk, to=target, actor=ACTOR, shipment_recorded=target == S.SHIPPED
            )


@pytest.mark.django_db
def test_allowed_transitions_lists_what_the_order_may_do_now():
    order = order_with_lines(lines=1, status=S.PAID)
    targets = {t.target for t in allowed_transitions(order)}
    assert targets == {S.PENDING, S.IN_PROCESS, S.CANCELLED}
    assert S.SHIPPED in {t.target for t in allowed_transitions(order, with_shipment=True)}


@pytest.mark.django_db
@pytest.mark.parametrize("source", [S.PAID, S.IN_PROCESS])
def test_shipped_needs_a_recorded_shipment(source):
    order = order_with_lines(lines=1, status=source)
    with pytest.raises(TransitionRefused, match="courier and tracking number"):
        order_transition(order_id=order.pk, to=S.SHIPPED, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == source
    assert not order.events.exists()


@pytest.mark.django_db
def test_unknown_status_is_refused():
    order = order_with_lines(lines=1)
    with pytest.raises(TransitionRefused, match="not an order status"):
        order_transition(order_id=order.pk, to="lost", actor=ACTOR)


@pytest.mark.django_db
def test_paid_books_the_sale_and_rollback_reverses_it_exactly():
    variant = VariantFactory(stock=10, units_sold=3)
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, quantity=4)
    order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (6, 7)
    order_transition(
        order_id=order.pk, to=S.PENDING, actor=ACTOR, note="Customer cancelled the check"
    )
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (10, 3)
    reasons = list(
        StockMovement.objects.filter(variant=variant).order_by("id").values_list("reason", "delta")
    )
    assert reasons == [("sale", -4), ("sale_reversal", 4)]
    rollback = order.events.filter(kind=OrderEvent.Kind.STATUS).last()
    assert rollback.message == "Customer cancelled the check"


@pytest.mark.django_db
def test_cancelling_a_paid_order_restores_stock():
    variant = VariantFactory(stock=5)
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, quantity=2)
    order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    order_transition(order_id=order.pk, to=S.IN_PROCESS, actor=ACTOR)
    order_transition(order_id=order.pk, to=S.CANCELLED, actor=ACTOR)
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (5, 0)


@pytest.mark.django_db
def test_paying_without_enough_stock_is_refused_and_changes_nothing():
    variant = VariantFactory(stock=1)
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, quantity=2)
    with pytest.raises(TransitionRefused, match="Not enough stock"):
        order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == S.PENDING and not order.stock_committed
    assert (variant.stock, variant.units_sold) == (1, 0)
    assert not order.events.exists()


@pytest.mark.django_db
def test_signal_is_sent_after_the_status_is_saved():
    order = order_with_lines(lines=1)
    seen = []

    def receiver(sender, order, from_status, to_status, **kwargs):
        order.refresh_from_db()
        seen.append((from_status, to_status, order.status))

    order_status_changed.connect(receiver)
    try:
        order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    finally:
        order_status_changed.disconnect(receiver)
    assert seen == [(S.PENDING, S.PAID, S.PAID)]


@pytest.mark.django_db
def test_paid_needs_a_recorded_payment():
    order = order_with_lines(lines=1)
    with pytest.raises(TransitionRefused, match="through a payment"):
        order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == S.PENDING and not order.stock_committed
    assert S.PAID not in {t.target for t in allowed_transitions(order)}
    assert S.PAID in {t.target for t in allowed_transitions(order, with_payment=True)}
