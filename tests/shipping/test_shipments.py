import datetime

import pytest

from orders.actors import Actor
from orders.models import OrderEvent, OrderLine, OrderStatus
from shipping.models import Carrier, Shipment, ShippingSettings, TrackingNumber
from shipping.services import (
    ShipmentError,
    TrackingNumberInvalid,
    lines_flag_sent,
    shipment_create,
    tracking_number_update,
)
from shipping.signals import shipment_recorded, tracking_updated
from tests.factories import OrderLineFactory, order_with_lines

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")
UPS_OK = "1Z999AA10123456784"
UPS_BAD = "1Z999AA10123456785"
S = OrderStatus


@pytest.fixture
def ups():
    return Carrier.objects.get(code="ups")


def paid_order(*quantities, status=S.PAID):
    order = order_with_lines(lines=0, status=status)
    for qty in quantities:
        OrderLineFactory(order=order, quantity=qty)
    return order


def ship(order, carrier, numbers=(UPS_OK,), **kwargs):
    return shipment_create(
        order_id=order.pk,
        carrier_id=carrier.pk,
        tracking_numbers=list(numbers),
        actor=ACTOR,
        **kwargs,
    )


def test_shipping_everything_records_it_and_moves_the_order_to_shipped(ups):
    order = paid_order(2, 1)
    received = []
    shipment_recorded.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t1")
    try:
        shipment = ship(order, ups, numbers=["1z 999 aa1 0123456784"])
    finally:
        shipment_recorded.disconnect(dispatch_uid="t1")
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert [t.number for t in shipment.tracking_numbers.all()] == [UPS_OK]
    assert {(line.quantity_fulfilled, line.fulfilment_status) for line in order.lines.all()} == {
        (2, "fulfilled"),
        (1, "fulfilled"),
    }
    event = order.events.get(kind=OrderEvent.Kind.SHIPPING)
    assert "UPS" in event.message and UPS_OK in event.message
    assert received[0]["shipment"] == shipment


def test_a_partial_shipment_leaves_the_order_as_it_is(ups):
    order = paid_order(3)
    line = order.lines.get()
    ship(order, ups, lines={line.pk: 1})
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity_fulfilled, line.fulfilment_status) == (1, "partial")
    assert order.status == S.PAID
    ship(order, ups, lines={line.pk: 2})
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert order.shipments.count() == 2


def test_over_shipping_is_refused_and_changes_nothing(ups):
    order = paid_order(2)
    line = order.lines.get()
    with pytest.raises(ShipmentError, match="only 2 of 2 remain"):
        ship(order, ups, lines={line.pk: 3})
    line.refresh_from_db()
    assert line.quantity_fulfilled == 0
    assert not Shipment.objects.exists()


def test_no_tracking_number_is_refused_for_a_courier_too(ups):
    courier = Carrier.objects.create(name="Bike Courier", code="bike")
    order = paid_order(1)
    for carrier in (ups, courier):
        with pytest.raises(ShipmentError, match="courier and a tracking number"):
            ship(order, carrier, numbers=["  "])
    assert not Shipment.objects.exists()


def test_a_courier_takes_any_reference(ups):
    courier = Carrier.objects.create(name="Bike Courier", code="bike")
    order = paid_order(1)
    shipment = ship(order, courier, numbers=["ticket 42"])
    assert shipment.tracking_numbers.get().number == "ticket 42"


def test_a_bad_check_digit_is_refused_with_the_message_and_nothing_changes(ups):
    order = paid_order(1)
    with pytest.raises(TrackingNumberInvalid, match="check digit should be 4, not 5"):
        ship(order, ups, numbers=[UPS_BAD])
    order.refresh_from_db()
    assert order.status == S.PAID
    assert not Shipment.objects.exists()
    assert not order.events.exists()
    assert order.lines.get().quantity_fulfilled == 0


def test_a_bad_check_digit_with_a_reason_is_recorded_with_it(ups):
    order = paid_order(1)
    shipment = ship(order, ups, numbers=[UPS_BAD], override_reason="Printed label says so")
    tracking = shipment.tracking_numbers.get()
    assert (tracking.number, tracking.override_reason) == (UPS_BAD, "Printed label says so")
    assert "Printed label says so" in order.events.get(kind=OrderEvent.Kind.SHIPPING).message


@pytest.mark.parametrize("status", [S.PENDING, S.CANCELLED, S.COMPLETE])
def test_an_unpaid_or_closed_order_does_not_ship(ups, status):
    order = paid_order(1, status=status)
    with pytest.raises(ShipmentError, match="only paid or in-process orders ship"):
        ship(order, ups)


def test_a_line_that_does_not_ship_is_refused(ups):
    order = paid_order(1)
    digital = OrderLineFactory(order=order, variant=None, is_shippable=False)
    with pytest.raises(ShipmentError, match="does not ship"):
        ship(order, ups, lines={digital.pk: 1})


def test_another_orders_line_is_refused(ups):
    order, other = paid_order(1), paid_order(1)
    with pytest.raises(ShipmentError, match="not on this order"):
        ship(order, ups, lines={other.lines.get().pk: 1})


def test_nothing_chosen_is_refused(ups):
    order = paid_order(1)
    with pytest.raises(ShipmentError, match="Nothing to ship"):
        ship(order, ups, lines={order.lines.get().pk: 0})


def test_an_inactive_carrier_is_refused(ups):
    ups.is_active = False
    ups.save()
    with pytest.raises(ShipmentError, match="Choose the carrier"):
        ship(paid_order(1), ups)


def test_deliver_on_tracking_marks_the_order_delivered(ups):
    ShippingSettings.objects.update_or_create(pk=1, defaults={"deliver_on_tracking": True})
    order = paid_order(1, status=S.IN_PROCESS)
    ship(order, ups, shipped_on=datetime.date(2024, 5, 1))
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    moves = list(
        order.events.filter(kind=OrderEvent.Kind.STATUS).values_list("to_status", flat=True)
    )
    assert moves == [S.SHIPPED, S.DELIVERED]


def test_deliver_on_tracking_is_off_by_default():
    assert ShippingSettings.load().deliver_on_tracking is False


def test_flag_as_sent_marks_lines_sent_without_tracking_but_not_the_order_shipped():
    order = paid_order(2, 1)
    first, second = order.lines.all()
    lines_flag_sent(order_id=order.pk, line_ids=[first.pk], actor=ACTOR)
    first.refresh_from_db()
    order.refresh_from_db()
    assert (first.quantity_fulfilled, first.fulfilment_status) == (2, "fulfilled")
    assert order.status == S.PAID
    assert "without tracking" in order.events.get(kind=OrderEvent.Kind.SHIPPING).message
    with pytest.raises(ShipmentError, match="already sent"):
        lines_flag_sent(order_id=order.pk, line_ids=[first.pk, second.pk], actor=ACTOR)
    second.refresh_from_db()
    assert second.quantity_fulfilled == 0


def test_flag_as_sent_refuses_nothing_chosen_and_other_orders_lines():
    order, other = paid_order(1), paid_order(1)
    with pytest.raises(ShipmentError, match="Choose the items"):
        lines_flag_sent(order_id=order.pk, line_ids=[], actor=ACTOR)
    with pytest.raises(ShipmentError, match="not on this order"):
        lines_flag_sent(order_id=order.pk, line_ids=[other.lines.get().pk], actor=ACTOR)


def test_tracking_correction_records_the_change_and_tells(ups):
    order = paid_order(1)
    tracking = ship(order, ups, numbers=[UPS_BAD], override_reason="typo?").tracking_numbers.get()
    received = []
    tracking_updated.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t2")
    try:
        tracking_number_update(tracking_id=tracking.pk, number=UPS_OK, actor=ACTOR)
    finally:
        tracking_updated.disconnect(dispatch_uid="t2")
    tracking.refresh_from_db()
    assert (tracking.number, tracking.override_reason) == (UPS_OK, "")
    assert order.events.filter(message=f"Tracking number corrected: {UPS_BAD} → {UPS_OK}.").exists()
    assert received[0]["previous"] == UPS_BAD


def test_tracking_correction_checks_the_number(ups):
    order = paid_order(1)
    tracking = ship(order, ups).tracking_numbers.get()
    with pytest.raises(TrackingNumberInvalid, match="check digit"):
        tracking_number_update(tracking_id=tracking.pk, number=UPS_BAD, actor=ACTOR)
    with pytest.raises(ShipmentError, match="already the tracking number"):
        tracking_number_update(tracking_id=tracking.pk, number=UPS_OK, actor=ACTOR)
    assert TrackingNumber.objects.get().number == UPS_OK


def test_lines_never_exceed_what_was_ordered_in_the_database():
    line = paid_order(1).lines.get()
    assert OrderLine.objects.filter(pk=line.pk, quantity_fulfilled__lte=0).exists()


def test_a_courier_typed_by_name_is_kept_for_next_time():
    order = paid_order(1)
    shipment = shipment_create(
        order_id=order.pk,
        carrier_name="  Speedy   Couriers ",
        tracking_numbers=["SPD-42 a"],
        actor=ACTOR,
    )
    carrier = shipment.carrier
    assert (carrier.name, carrier.is_active, carrier.tracking_url_template) == (
        "Speedy Couriers",
        True,
        "",
    )
    assert not carrier.is_known  # no tracking-number check: any reference
    assert shipment.tracking_numbers.get().number == "SPD-42 a"
    assert carrier.code == "speedy-couriers"
    # Typed again in another case, it is the same courier.
    again = shipment_create(
        order_id=paid_order(1).pk,
        carrier_name="SPEEDY couriers",
        tracking_numbers=["X1"],
        actor=ACTOR,
    )
    assert again.carrier == carrier
    assert Carrier.objects.filter(name__iexact="speedy couriers").count() == 1


def test_a_typed_courier_is_not_kept_when_the_shipment_is_refused():
    order = paid_order(1)
    with pytest.raises(ShipmentError):
        shipment_create(
            order_id=order.pk, carrier_name="Ghost Post", tracking_numbers=[" "], actor=ACTOR
        )
    assert not Carrier.objects.filter(name="Ghost Post").exists()


def test_a_typed_name_of_a_built_in_carrier_is_that_carrier_with_its_check(ups):
    with pytest.raises(TrackingNumberInvalid):
        shipment_create(
            order_id=paid_order(1).pk, carrier_name="ups", tracking_numbers=[UPS_BAD], actor=ACTOR
        )
    shipment = shipment_create(
        order_id=paid_order(1).pk, carrier_name="ups", tracking_numbers=[UPS_OK], actor=ACTOR
    )
    assert shipment.carrier == ups


def test_a_typed_name_of_a_switched_off_courier_is_refused(ups):
    Carrier.objects.filter(pk=ups.pk).update(is_active=False)
    with pytest.raises(ShipmentError, match="switched off in Settings"):
        shipment_create(
            order_id=paid_order(1).pk, carrier_name="UPS", tracking_numbers=[UPS_OK], actor=ACTOR
        )


def test_a_typed_name_whose_code_is_taken_gets_another_code():
    Carrier.objects.create(name="Other name", code="royal-mail")
    shipment = shipment_create(
        order_id=paid_order(1).pk, carrier_name="Royal Mail", tracking_numbers=["RM1"], actor=ACTOR
    )
    assert shipment.carrier.code == "royal-mail-2"
