"""Every (status, target) pair of the order status machine, allowed or refused."""

import itertools

import pytest

from catalog.models import StockMovement
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
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


def digital_order(status):
    order = order_with_lines(lines=0, status=status)
    OrderLineFactory(
        order=order, variant=VariantFactory(product=ProductFactory(is_shippable=False))
    )
    return order


@pytest.mark.django_db
def test_an_order_with_nothing_to_ship_completes_when_paid():
    order = digital_order(S.PENDING)
    seen = []

    def record(sender, *, from_status, to_status, **kwargs):
        seen.append((from_status, to_status))

    order_status_changed.connect(record)
    try:
        done = order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    finally:
        order_status_changed.disconnect(record)
    order.refresh_from_db()
    assert done.status == order.status == S.COMPLETE
    assert order.stock_committed and order.paid_at is not None
    # Paid first (so payments, invoices and the digital goods email react to it), then Complete.
    assert seen == [(S.PENDING, S.PAID), (S.PAID, S.COMPLETE)]
    moves = order.events.filter(kind=OrderEvent.Kind.STATUS).order_by("id")
    assert [(e.from_status, e.to_status, e.actor_label) for e in moves] == [
        (S.PENDING, S.PAID, "Test"),
        (S.PAID, S.COMPLETE, "Back office"),
    ]
    assert moves.last().message == "Nothing on this order ships."


@pytest.mark.django_db
def test_an_order_that_ships_stays_paid_when_paid():
    order = order_with_lines(lines=1, status=S.PENDING)
    order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    order.refresh_from_db()
    assert order.status == S.PAID


@pytest.mark.django_db
@pytest.mark.parametrize("target", [S.PENDING, S.CANCELLED])
def test_a_completed_order_with_nothing_to_ship_can_still_be_rolled_back(target):
    order = digital_order(S.PENDING)
    variant = order.lines.get().variant
    before = (variant.stock, variant.units_sold)
    order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR, payment_recorded=True)
    assert target in {t.target for t in allowed_transitions(Order.objects.get(pk=order.pk))}

    order_transition(order_id=order.pk, to=target, actor=ACTOR)

    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == target and not order.stock_committed
    assert (variant.stock, variant.units_sold) == before


@pytest.mark.django_db
@pytest.mark.parametrize("target", [S.PENDING, S.CANCELLED])
def test_a_completed_order_that_shipped_is_final(target):
    order = order_with_lines(lines=1, status=S.COMPLETE)
    assert not allowed_transitions(order)
    with pytest.raises(TransitionRefused, match="stays complete"):
        order_transition(order_id=order.pk, to=target, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == S.COMPLETE and not order.events.exists()


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
    with pytest.raises(
        TransitionRefused, match="Paid needs a payment: charge it or record an offline payment"
    ):
        order_transition(order_id=order.pk, to=S.PAID, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == S.PENDING and not order.stock_committed
    assert S.PAID not in {t.target for t in allowed_transitions(order)}
    assert S.PAID in {t.target for t in allowed_transitions(order, with_payment=True)}


# What a refusal may name as the way forward: a payment, a shipment, a move the order can make
# now (by its label), or, from a final status, what to do instead.
WAYS_FORWARD = (
    "charge it or record an offline payment",
    "record a shipment with its courier and tracking number",
    "is final",
    "complete it instead",
)


def refusal_of(order, target):
    with pytest.raises(TransitionRefused) as refused:
        order_transition(order_id=order.pk, to=target, actor=ACTOR)
    return str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("ships", [True, False], ids=["ships", "digital"])
@pytest.mark.parametrize(("source", "target"), list(itertools.product(S.values, S.values)))
def test_every_refused_move_names_what_would_allow_it(source, target, ships):
    order = order_with_lines(lines=1, status=source) if ships else digital_order(source)
    now = allowed_transitions(order, with_payment=True, with_shipment=True)
    if target in {move.target for move in now} and target not in {S.PAID, S.SHIPPED}:
        return  # allowed: not a refusal
    message = refusal_of(order, target)
    assert not message.rstrip(".").endswith(f"cannot become {S(target).label}")
    labels = tuple(f"“{move.label}”" for move in now)
    assert any(way in message for way in WAYS_FORWARD + labels), message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (
            S.PENDING,
            S.IN_PROCESS,
            "Pending cannot become In process: the order must be paid first"
            " (charge it or record an offline payment).",
        ),
        (
            S.PENDING,
            S.DELIVERED,
            "Pending cannot become Delivered: the order must be paid first"
            " (charge it or record an offline payment), then Shipped.",
        ),
        (
            S.PAID,
            S.DELIVERED,
            "Paid cannot become Delivered: it must be shipped first"
            " (record a shipment with its courier and tracking number).",
        ),
        (
            S.PAID,
            S.SHIPPED,
            "Shipped needs a courier and a tracking number:"
            " record a shipment with its courier and tracking number.",
        ),
        (
            S.SHIPPED,
            S.CANCELLED,
            "Shipped cannot become Cancelled; what it can do now: “Mark delivered” or “Complete”.",
        ),
        (
            S.CANCELLED,
            S.PAID,
            "Cancelled cannot become Paid: Cancelled is final; enter a new order instead"
            " (one that was never paid can also be deleted).",
        ),
    ],
)
def test_refusals_say_what_would_allow_the_move(source, target, message):
    assert refusal_of(order_with_lines(lines=1, status=source), target) == message


@pytest.mark.django_db
def test_a_completed_shipped_order_says_it_is_final_and_what_to_do_instead():
    message = refusal_of(order_with_lines(lines=1, status=S.COMPLETE), S.IN_PROCESS)
    assert message.startswith("Complete cannot become In process. This order shipped, so")
    assert "Complete is final" in message and "Add a note to its timeline" in message
