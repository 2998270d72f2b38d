"""Paying an order invoices it; rolling the payment back voids or credits the invoice."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import CustomerSettings, Profile
from invoicing.models import Invoice, PaymentRecord
from invoicing.services import invoice_create_for_order, invoice_post
from orders.actors import Actor
from orders.models import Channel, Order, OrderEvent, OrderStatus
from orders.services import order_transition
from payments.services import AlreadyPaid
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ProfileFactory,
    VariantFactory,
)

from .conftest import invoice_snapshot, order_of, pay, roll_back

pytestmark = pytest.mark.django_db


def test_paying_an_order_creates_one_invoice_with_all_its_lines(anonymous_profile):
    order = order_of(lines=3)
    pay(order)

    invoice = Invoice.objects.get(order=order)
    assert invoice.kind == Invoice.Kind.INVOICE
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.display_number == f"INV-{invoice.number:06d}"
    lines = list(invoice.lines.all())
    assert [(line.order_line_id, line.sku, line.quantity) for line in lines] == [
        (line.pk, line.sku, line.quantity) for line in order.lines.order_by("id")
    ]
    assert {line.invoice_id for line in lines} == {invoice.pk}  # one number for all items
    order.refresh_from_db()
    assert (invoice.subtotal, invoice.discount, invoice.shipping, invoice.tax, invoice.total) == (
        order.subtotal,
        order.discount_total,
        order.shipping_total,
        order.tax_total,
        order.total,
    )
    assert invoice.order_paid_at == order.paid_at
    assert invoice.billing_address == order.billing_address


def test_paying_records_the_payment_against_the_invoice(anonymous_profile):
    order = order_of()
    pay(order, authorization_code="AUTH-123")

    invoice = Invoice.objects.get(order=order)
    record = PaymentRecord.objects.get(invoice=invoice)
    order.refresh_from_db()
    assert record.amount == order.total
    assert record.currency == order.currency
    assert record.reference == "AUTH-123"
    assert record.received_at == order.paid_at
    assert record.profile == invoice.profile
    assert record.reversed_at is None


def test_a_guest_order_lands_on_the_configured_anonymous_profile(anonymous_profile):
    order = order_of(profile=None)
    pay(order)
    invoice = Invoice.objects.get(order=order)
    assert invoice.profile == anonymous_profile
    assert invoice.payment_records.get().profile == anonymous_profile
    event = order.events.get(kind=OrderEvent.Kind.INVOICE)
    assert "anonymous profile" in event.message and invoice.display_number in event.message


def test_a_members_order_lands_on_their_own_profile(anonymous_profile, member):
    order = order_of(profile=member)
    pay(order)
    invoice = Invoice.objects.get(order=order)
    assert invoice.profile == member
    assert invoice.payment_records.get().profile == member


def test_a_profile_that_is_not_a_member_goes_to_the_anonymous_profile(anonymous_profile):
    contact = ProfileFactory(member_ref=None)
    order = order_of(profile=contact, channel=Channel.ONLINE)
    pay(order)
    assert Invoice.objects.get(order=order).profile == anonymous_profile


def test_a_back_office_order_lands_on_the_contact_staff_picked(anonymous_profile):
    contact = ProfileFactory(member_ref=None)
    order = order_of(profile=contact, channel=Channel.BACK_OFFICE)
    pay(order)
    assert Invoice.objects.get(order=order).profile == contact


def test_without_an_anonymous_profile_one_is_created_and_configured():
    assert CustomerSettings.load().anonymous_profile is None
    first, second = order_of(), order_of()
    pay(first)
    pay(second)

    anonymous = CustomerSettings.load().anonymous_profile
    assert anonymous is not None
    assert str(anonymous) == "Anonymous customer"
    assert Profile.objects.filter(first_name="Anonymous", last_name="customer").count() == 1
    assert {i.profile_id for i in Invoice.objects.all()} == {anonymous.pk}


def test_invoice_numbers_are_sequential(anonymous_profile):
    orders = [order_of(lines=1) for _ in range(3)]
    for order in orders:
        pay(order)
    numbers = [Invoice.objects.get(order=o).number for o in orders]
    assert numbers == list(range(numbers[0], numbers[0] + 3))


def test_paying_twice_still_makes_one_invoice(anonymous_profile):
    order = order_of()
    pay(order)
    with pytest.raises(AlreadyPaid):
        pay(order)
    assert Invoice.objects.filter(order=order).count() == 1
    assert PaymentRecord.objects.filter(invoice__order=order).count() == 1


def test_the_same_payment_signalled_twice_is_invoiced_once(anonymous_profile):
    order = order_of()
    pay(order)
    order.refresh_from_db()
    first = Invoice.objects.get(order=order)

    again = invoice_create_for_order(order=order, actor=Actor.system())

    assert again.pk == first.pk
    assert Invoice.objects.filter(order=order).count() == 1
    assert order.events.filter(kind=OrderEvent.Kind.INVOICE).count() == 1


def test_a_free_order_gets_an_invoice_and_no_payment_record(anonymous_profile):
    order = order_of(lines=0)
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.PAID, paid_at=timezone.now(), total=0, shipping_total=0, tax_total=0
    )
    order.refresh_from_db()
    invoice = invoice_create_for_order(order=order, actor=Actor.system())
    assert invoice.total == 0
    assert not invoice.payment_records.exists()


# ---- Rolling back ---------------------------------------------------------------------------


def test_rolling_back_a_paid_order_voids_its_draft_invoice(anonymous_profile):
    order = order_of()
    pay(order)
    roll_back(order)

    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.VOID
    assert invoice.voided_at is not None
    record = invoice.payment_records.get()
    assert record.reversed_at is not None and record.reversal_credit_note is None
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()
    assert "voided" in order.events.filter(kind=OrderEvent.Kind.INVOICE).last().message


def test_cancelling_an_order_in_process_voids_its_draft_invoice(anonymous_profile):
    order = order_of()
    pay(order)
    order_transition(order_id=order.pk, to=OrderStatus.IN_PROCESS, actor=Actor.system())
    roll_back(order, to=OrderStatus.CANCELLED)
    assert Invoice.objects.get(order=order).status == Invoice.Status.VOID


def test_rolling_back_a_posted_invoice_credits_it_and_leaves_it_unchanged(anonymous_profile):
    order = order_of(lines=2)
    pay(order)
    invoice = Invoice.objects.get(order=order)
    invoice_post(invoice_id=invoice.pk, actor=Actor.system())
    before = invoice_snapshot(invoice)

    roll_back(order)

    assert invoice_snapshot(invoice) == before  # byte for byte
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credits == invoice
    assert note.number != invoice.number
    assert note.display_number.startswith("CN-")
    assert note.status == Invoice.Status.POSTED and note.posted_at is not None
    assert note.profile_id == invoice.profile_id
    assert (note.subtotal, note.discount, note.shipping, note.tax, note.total) == (
        -invoice.subtotal,
        -invoice.discount,
        -invoice.shipping,
        -invoice.tax,
        -invoice.total,
    )
    assert [(li.sku, li.quantity, li.unit_price, li.total) for li in note.lines.all()] == [
        (li.sku, -li.quantity, li.unit_price, -li.total) for li in invoice.lines.all()
    ]
    record = invoice.payment_records.get()
    assert record.reversed_at is not None
    assert record.reversal_credit_note == note
    message = order.events.filter(kind=OrderEvent.Kind.INVOICE).last().message
    assert note.display_number in message and invoice.display_number in message


def test_an_order_paid_again_after_a_rollback_gets_a_new_invoice(anonymous_profile):
    order = order_of()
    pay(order)
    first = Invoice.objects.get(order=order)
    invoice_post(invoice_id=first.pk, actor=Actor.system())
    roll_back(order)
    order.refresh_from_db()
    pay(order)

    second = Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE).latest("id")
    assert second.pk != first.pk
    assert second.status == Invoice.Status.DRAFT
    assert PaymentRecord.objects.filter(invoice__order=order, reversed_at__isnull=True).count() == 1

    roll_back(order)  # the second one is a draft: voided, the first stays credited
    second.refresh_from_db()
    assert second.status == Invoice.Status.VOID
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1


def test_moves_that_are_not_rollbacks_leave_the_invoice_alone(anonymous_profile):
    order = order_of()
    pay(order)
    order_transition(order_id=order.pk, to=OrderStatus.IN_PROCESS, actor=Actor.system())
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.payment_records.get().reversed_at is None


# ---- Concurrency ------------------------------------------------------------------------------


def _race(target, count):
    barrier = threading.Barrier(count)
    results, errors, lock = [], [], threading.Lock()

    def run():
        try:
            barrier.wait()
            outcome = target()
        except Exception as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_make_one_invoice_and_one_payment_record():
    order = order_of(lines=2)

    results, errors = _race(lambda: pay(order), 8)

    assert len(results) == 1
    assert all(isinstance(e, AlreadyPaid) for e in errors) and len(errors) == 7
    assert Invoice.objects.filter(order=order).count() == 1
    assert PaymentRecord.objects.filter(invoice__order=order).count() == 1
    assert Profile.objects.filter(first_name="Anonymous").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_signals_for_one_payment_make_one_invoice():
    order = order_of(lines=2)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=timezone.now())
    order.refresh_from_db()

    results, errors = _race(lambda: invoice_create_for_order(order=order, actor=Actor.system()), 8)

    assert errors == []
    assert len({invoice.pk for invoice in results}) == 1
    assert Invoice.objects.filter(order=order).count() == 1
    assert PaymentRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_guests_without_an_anonymous_profile_share_one():
    orders = [order_of(lines=1) for _ in range(6)]
    iterator = iter(orders)
    lock = threading.Lock()

    def pay_next():
        with lock:
            order = next(iterator)
        return pay(order)

    results, errors = _race(pay_next, 6)

    assert errors == [] and len(results) == 6
    anonymous = CustomerSettings.load().anonymous_profile
    assert Profile.objects.filter(first_name="Anonymous").count() == 1
    assert set(Invoice.objects.values_list("profile_id", flat=True)) == {anonymous.pk}


@pytest.mark.parametrize("to", [OrderStatus.PENDING, OrderStatus.CANCELLED])
def test_a_digital_order_completed_on_payment_rolls_back_its_invoice_and_payment(
    anonymous_profile, to
):
    order = OrderFactory()
    OrderLineFactory(
        order=order, variant=VariantFactory(product=ProductFactory(is_shippable=False))
    )
    Order.objects.filter(pk=order.pk).update(total=order.subtotal)
    order.refresh_from_db()
    pay(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETE

    roll_back(order, to=to)

    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.VOID
    assert invoice.payment_records.get().reversed_at is not None
    assert order.payments.get().status == "reversed"
