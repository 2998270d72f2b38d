import datetime

import pytest
from django.utils import timezone

from catalog.models import SerialCode
from notifications import services
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver
from orders.actors import Actor
from orders.models import Order, OrderStatus
from orders.services import order_transition
from orders.signals import order_status_changed
from shipping.models import Carrier, Shipment, ShipmentLine, TrackingNumber
from shipping.signals import shipment_recorded, tracking_updated
from tests.factories import order_with_lines

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()
Kind = OutboxMessage.Kind


def body_of(email, content_type="text/plain") -> str:
    for part in email.walk():
        if part.get_content_type() == content_type:
            return part.get_payload(decode=True).decode()
    raise AssertionError(content_type)


def test_marking_delivered_queues_one_delivered_email():
    order = order_with_lines(status=OrderStatus.SHIPPED)
    order_transition(order_id=order.pk, to=OrderStatus.DELIVERED, actor=SYSTEM)
    (message,) = OutboxMessage.objects.filter(order=order)
    assert (message.kind, message.subject_key, message.to_email) == (
        Kind.DELIVERED,
        "order",
        order.customer_email,
    )


def test_paid_with_serial_codes_queues_the_digital_goods_email(smtp):
    order = order_with_lines(status=OrderStatus.PAID)
    line = order.lines.get()
    SerialCode.objects.create(
        variant=line.variant,
        code="KEY-1234",
        allocation_reference=order.reference,
        status=SerialCode.Status.ASSIGNED,
        allocated_at=timezone.now(),
    )
    order_status_changed.send(
        sender=Order, order=order, from_status="pending", to_status="paid", actor=SYSTEM, note=""
    )
    message = OutboxMessage.objects.get(order=order, kind=Kind.DIGITAL_GOODS)
    assert outbox_deliver(message_id=message.pk) == services.SENT
    (email,) = smtp.messages
    assert "KEY-1234" in body_of(email) and "KEY-1234" in body_of(email, "text/html")


def test_paid_without_digital_lines_queues_nothing():
    order = order_with_lines(status=OrderStatus.PAID)
    order_status_changed.send(
        sender=Order, order=order, from_status="pending", to_status="paid", actor=SYSTEM, note=""
    )
    assert not OutboxMessage.objects.exists()


def shipment_of(order) -> Shipment:
    carrier = Carrier.objects.create(
        name="Speedy", code="speedy", tracking_url_template="https://speedy.example/t/{number}"
    )
    shipment = Shipment.objects.create(
        order=order, carrier=carrier, shipped_on=datetime.date.today()
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.first(), quantity=1)
    TrackingNumber.objects.create(shipment=shipment, number="SP123")
    return shipment


def test_a_recorded_shipment_emails_courier_tracking_link_and_items_once(smtp):
    order = order_with_lines(status=OrderStatus.PAID)
    shipment = shipment_of(order)
    for _ in range(2):
        shipment_recorded.send(sender=Shipment, shipment=shipment, actor=SYSTEM)
    (message,) = OutboxMessage.objects.filter(order=order)
    assert (message.kind, message.subject_key) == (Kind.SHIPPED, f"shipment:{shipment.pk}")

    assert outbox_deliver(message_id=message.pk) == services.SENT
    (email,) = smtp.messages
    text = body_of(email)
    assert "Speedy" in text and "https://speedy.example/t/SP123" in text
    assert order.lines.first().name in text
    assert 'href="https://speedy.example/t/SP123"' in body_of(email, "text/html")


def test_each_tracking_correction_is_its_own_email(smtp):
    order = order_with_lines(status=OrderStatus.SHIPPED)
    number = shipment_of(order).tracking_numbers.get()
    tracking_updated.send(
        sender=TrackingNumber, tracking_number=number, previous="SP1", actor=SYSTEM
    )
    tracking_updated.send(
        sender=TrackingNumber, tracking_number=number, previous="SP1", actor=SYSTEM
    )
    number.number = "SP999"
    number.save()
    tracking_updated.send(
        sender=TrackingNumber, tracking_number=number, previous="SP123", actor=SYSTEM
    )
    messages = list(OutboxMessage.objects.filter(kind=Kind.TRACKING_UPDATED))
    assert len(messages) == 2
    assert outbox_deliver(message_id=messages[1].pk) == services.SENT
    assert "https://speedy.example/t/SP999" in body_of(smtp.messages[0])


def licence_order():
    from tests.factories import OrderLineFactory, ProductFactory, VariantFactory

    variant = VariantFactory(
        product=ProductFactory(is_shippable=False, name="Photo editor"),
        track_stock=False,
        hands_out_serial_codes=True,
    )
    SerialCode.objects.bulk_create(SerialCode(variant=variant, code=f"KEY-{i}") for i in range(3))
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, name="Photo editor", quantity=1)
    return order


def pay(order):
    order_transition(order_id=order.pk, to=OrderStatus.PAID, actor=SYSTEM, payment_recorded=True)


def test_repaying_a_rolled_back_order_emails_its_fresh_code_and_marks_codes_delivered(smtp):
    order = licence_order()
    pay(order)
    first = OutboxMessage.objects.get(order=order, kind=Kind.DIGITAL_GOODS)
    assert outbox_deliver(message_id=first.pk) == services.SENT
    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=SYSTEM)
    pay(order)

    second = OutboxMessage.objects.exclude(pk=first.pk).get(order=order, kind=Kind.DIGITAL_GOODS)
    assert outbox_deliver(message_id=second.pk) == services.SENT
    bodies = [body_of(email) for email in smtp.messages]
    assert "KEY-0" in bodies[0] and "KEY-0" not in bodies[1] and "KEY-1" in bodies[1]
    delivered = SerialCode.objects.filter(delivered_at__isnull=False).order_by("code")
    assert [(c.code, c.status) for c in delivered] == [
        ("KEY-0", SerialCode.Status.RETIRED),
        ("KEY-1", SerialCode.Status.ASSIGNED),
    ]


def test_an_email_for_a_rolled_back_payment_is_skipped_not_sent_with_the_new_codes(smtp):
    order = licence_order()
    pay(order)
    stale = OutboxMessage.objects.get(order=order, kind=Kind.DIGITAL_GOODS)
    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=SYSTEM)
    pay(order)

    assert outbox_deliver(message_id=stale.pk) == services.SKIPPED
    assert smtp.messages == []
    assert order.events.filter(message__contains="was rolled back").exists()
    assert not SerialCode.objects.filter(delivered_at__isnull=False).exists()
