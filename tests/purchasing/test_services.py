from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Vendor
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from orders.services import order_transition
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from purchasing.services import (
    PurchasingError,
    po_cancel,
    po_create_for_order,
    po_lines_ship,
    po_send,
)
from purchasing.signals import purchase_order_cancelled, purchase_order_sent
from shipping.models import Carrier
from shipping.services import TrackingNumberInvalid
from tests.factories import OrderLineFactory, VendorFactory, order_with_lines

from .conftest import email_vendor, supplied_line

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")
UPS_OK = "1Z999AA10123456784"
UPS_BAD = "1Z999AA10123456785"
S = PurchaseOrder.Status


def create(order, choices, send=False):
    return po_create_for_order(order_id=order.pk, choices=choices, send=send, actor=ACTOR)


def ship(po, lines, numbers=(UPS_OK,), **kwargs):
    return po_lines_ship(
        purchase_order_id=po.pk,
        lines=lines,
        carrier_id=Carrier.objects.get(code="ups").pk,
        tracking_numbers=list(numbers),
        actor=ACTOR,
        **kwargs,
    )


@pytest.fixture
def signals():
    got = {"sent": [], "cancelled": []}
    purchase_order_sent.connect(
        lambda **kw: got["sent"].append(kw["purchase_order"]), weak=False, dispatch_uid="t-sent"
    )
    purchase_order_cancelled.connect(
        lambda **kw: got["cancelled"].append(kw["purchase_order"]),
        weak=False,
        dispatch_uid="t-cancel",
    )
    yield got
    purchase_order_sent.disconnect(dispatch_uid="t-sent")
    purchase_order_cancelled.disconnect(dispatch_uid="t-cancel")


def test_create_groups_lines_by_vendor_one_po_line_per_order_line(drop_ship_order):
    order, lines, a, b = drop_ship_order
    pos = create(order, {line.pk: line.product.vendor_links.get().vendor_id for line in lines})
    assert [(po.vendor, po.status) for po in pos] == [(a, S.DRAFT), (b, S.DRAFT)]
    first = pos[0].lines.order_by("order_line_id")
    assert [(pl.order_line_id, pl.quantity, pl.unit_cost) for pl in first] == [
        (lines[0].pk, 2, Decimal("4.25")),
        (lines[1].pk, 1, Decimal("7.50")),
    ]
    assert first[0].vendor_sku == f"V-{lines[0].sku}"
    assert order.events.filter(kind=OrderEvent.Kind.PURCHASING).count() == 2


def test_two_orders_never_share_a_po(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    other = order_with_lines(lines=0, status=OrderStatus.PAID)
    other_line = supplied_line(other, a)
    create(order, {lines[0].pk: a.pk})
    create(other, {other_line.pk: a.pk})
    assert PurchaseOrder.objects.filter(vendor=a).count() == 2


def test_an_unpaid_order_is_refused_and_told_to_be_paid_first():
    vendor = email_vendor()
    order = order_with_lines(lines=0, status=OrderStatus.PENDING)
    line = supplied_line(order, vendor)
    with pytest.raises(PurchasingError, match=r"not paid yet.*must be paid first"):
        create(order, {line.pk: vendor.pk})
    assert not PurchaseOrder.objects.exists()


def test_a_line_already_on_an_open_po_is_refused_naming_it(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk})
    with pytest.raises(PurchasingError, match=f"{lines[0].sku} is already on {po.label}"):
        create(order, {lines[1].pk: a.pk, lines[0].pk: a.pk})
    assert PurchaseOrder.objects.count() == 1  # nothing half-written


def test_the_open_po_index_refuses_a_second_open_line(drop_ship_order):
    order, lines, a, b = drop_ship_order
    create(order, {lines[0].pk: a.pk})
    other = PurchaseOrder.objects.create(order=order, vendor=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseOrderLine.objects.create(
            purchase_order=other, order_line=lines[0], quantity=1, unit_cost=1
        )


def test_quantity_constraints_hold_in_the_database(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk})
    with pytest.raises(IntegrityError), transaction.atomic():
        po.lines.update(quantity_shipped=99)
    with pytest.raises(IntegrityError), transaction.atomic():
        po.lines.update(quantity=0)


def test_a_vendor_that_does_not_supply_the_product_is_refused(drop_ship_order):
    order, lines, _, b = drop_ship_order
    with pytest.raises(PurchasingError, match=f"does not supply {lines[0].sku}"):
        create(order, {lines[0].pk: b.pk})


def test_a_line_with_no_product_vendor_is_refused():
    vendor = email_vendor()
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    line = OrderLineFactory(order=order)
    with pytest.raises(PurchasingError, match="does not supply"):
        create(order, {line.pk: vendor.pk})


def test_create_and_send_refuses_a_vendor_with_no_method_and_writes_nothing():
    vendor = VendorFactory(name="Silent Co")
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    line = supplied_line(order, vendor)
    with pytest.raises(PurchasingError, match="Silent Co has no way to receive POs"):
        create(order, {line.pk: vendor.pk}, send=True)
    assert not PurchaseOrder.objects.exists()


def test_an_email_vendor_without_addresses_cannot_be_sent_to():
    vendor = VendorFactory(name="Mute", po_method=Vendor.PoMethod.EMAIL, po_emails=[])
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    line = supplied_line(order, vendor)
    [po] = create(order, {line.pk: vendor.pk})
    with pytest.raises(PurchasingError, match="Mute takes POs by email but has no address"):
        po_send(purchase_order_id=po.pk, actor=ACTOR)


def test_sending_moves_a_paid_order_in_process_and_signals_the_send(drop_ship_order, signals):
    order, lines, a, b = drop_ship_order
    pos = create(order, {lines[0].pk: a.pk, lines[2].pk: b.pk}, send=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    assert {po.status for po in pos} == {S.SENT}
    assert all(po.sent_at for po in pos)
    assert [po.pk for po in signals["sent"]] == [po.pk for po in pos]


def test_a_sent_po_is_not_sent_again(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk}, send=True)
    with pytest.raises(PurchasingError, match="is sent: only a draft is sent"):
        po_send(purchase_order_id=po.pk, actor=ACTOR)


def test_cancelling_frees_the_lines_and_tells_a_vendor_it_was_sent_to(drop_ship_order, signals):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk}, send=True)
    po_cancel(purchase_order_id=po.pk, actor=ACTOR)
    po.refresh_from_db()
    assert po.status == S.CANCELLED and po.cancelled_at
    assert [p.pk for p in signals["cancelled"]] == [po.pk]
    [again] = create(order, {lines[0].pk: a.pk})
    assert again.lines.get().order_line_id == lines[0].pk


def test_cancelling_a_draft_tells_nobody(drop_ship_order, signals):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk})
    po_cancel(purchase_order_id=po.pk, actor=ACTOR)
    assert signals["cancelled"] == []


def test_a_po_with_shipped_lines_cannot_be_cancelled_and_says_which(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk, lines[1].pk: a.pk}, send=True)
    first = po.lines.get(order_line=lines[0])
    ship(po, {first.pk: 1})
    with pytest.raises(PurchasingError, match=f"already shipped 1 × {lines[0].sku}"):
        po_cancel(purchase_order_id=po.pk, actor=ACTOR)
    po.refresh_from_db()
    assert po.status == S.PARTLY_SHIPPED


def test_vendor_shipments_ship_the_order_lines_and_derive_the_status(drop_ship_order):
    order, lines, a, b = drop_ship_order
    po_a, po_b = create(order, {lines[0].pk: a.pk, lines[1].pk: a.pk, lines[2].pk: b.pk}, send=True)
    l0, l1 = po_a.lines.order_by("order_line_id")
    shipment = ship(po_a, {l0.pk: 1})
    assert {sl.order_line_id: sl.quantity for sl in shipment.lines.all()} == {lines[0].pk: 1}
    po_a.refresh_from_db()
    assert po_a.status == S.PARTLY_SHIPPED
    ship(po_a, {l0.pk: 1, l1.pk: 1})
    po_a.refresh_from_db()
    order.refresh_from_db()
    assert po_a.status == S.SHIPPED
    assert order.status == OrderStatus.IN_PROCESS  # vendor B still owes its line
    ship(po_b, {po_b.lines.get().pk: 3})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.shipments.count() == 3


def test_shipping_more_than_the_vendor_owes_is_refused(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk}, send=True)
    line = po.lines.get()
    with pytest.raises(PurchasingError, match="still owes 2 of 2, so 3 cannot ship"):
        ship(po, {line.pk: 3})
    assert not order.shipments.exists()


def test_a_draft_po_records_no_shipment(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk})
    with pytest.raises(PurchasingError, match="has not been sent"):
        ship(po, {po.lines.get().pk: 1})


def test_a_bad_tracking_number_needs_a_reason_and_leaves_nothing(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk}, send=True)
    line = po.lines.get()
    with pytest.raises(TrackingNumberInvalid):
        ship(po, {line.pk: 1}, numbers=[UPS_BAD])
    line.refresh_from_db()
    assert line.quantity_shipped == 0 and not order.shipments.exists()
    ship(po, {line.pk: 1}, numbers=[UPS_BAD], override_reason="Vendor's label")
    line.refresh_from_db()
    assert line.quantity_shipped == 1


def test_the_po_line_cost_is_the_vendors_cost_not_the_variants(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk})
    assert lines[0].unit_cost == Decimal("8.00")
    assert po.lines.get().unit_cost == Decimal("4.25")


def test_cancelling_the_order_cancels_its_pos_and_tells_the_vendors_sent_one(
    drop_ship_order, signals
):
    order, lines, a, b = drop_ship_order
    [draft] = create(order, {lines[2].pk: b.pk})
    [sent] = create(order, {lines[0].pk: a.pk}, send=True)
    order_transition(order_id=order.pk, to=OrderStatus.CANCELLED, actor=ACTOR)
    assert set(PurchaseOrder.objects.values_list("status", flat=True)) == {S.CANCELLED}
    assert [po.pk for po in signals["cancelled"]] == [sent.pk]  # the draft was never sent
    draft.refresh_from_db()
    assert draft.status == S.CANCELLED


def test_rolling_a_paid_order_back_cancels_its_draft_pos(drop_ship_order, signals):
    order, lines, a, _ = drop_ship_order
    [draft] = create(order, {lines[0].pk: a.pk})
    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)
    draft.refresh_from_db()
    assert draft.status == S.CANCELLED and signals["cancelled"] == []


def test_an_order_a_vendor_already_shipped_from_cannot_be_cancelled(drop_ship_order):
    order, lines, a, _ = drop_ship_order
    [po] = create(order, {lines[0].pk: a.pk}, send=True)
    ship(po, {po.lines.get().pk: 1})
    with pytest.raises(
        PurchasingError,
        match=rf"cannot be cancelled: Acme Supply already shipped 1 × {lines[0].sku} on {po.label}",
    ):
        order_transition(order_id=order.pk, to=OrderStatus.CANCELLED, actor=ACTOR)
    order.refresh_from_db()
    po.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS and po.status == S.PARTLY_SHIPPED
