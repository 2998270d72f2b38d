"""The database itself refuses to change a posted invoice, whatever writes to it."""

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing.models import Invoice, InvoiceLine, PaymentRecord
from invoicing.services import invoice_post
from orders.actors import Actor
from tests.factories import ProfileFactory

from .conftest import invoice_snapshot, paid_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(anonymous_profile):
    invoice = paid_invoice()
    invoice_post(invoice_id=invoice.pk, actor=Actor.system())
    invoice.refresh_from_db()
    return invoice


def refused(invoice):
    return pytest.raises(
        IntegrityError,
        match=f"Invoice {invoice.display_number} is posted: posted invoices cannot change",
    )


def test_a_queryset_update_of_a_posted_invoice_is_refused(posted):
    before = invoice_snapshot(posted)
    with refused(posted), transaction.atomic():
        Invoice.objects.filter(pk=posted.pk).update(total=0)
    assert invoice_snapshot(posted) == before


def test_saving_a_posted_invoice_is_refused(posted):
    posted.profile = ProfileFactory()
    with refused(posted), transaction.atomic():
        posted.save()


def test_unposting_or_voiding_a_posted_invoice_is_refused(posted):
    for status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        with refused(posted), transaction.atomic():
            Invoice.objects.filter(pk=posted.pk).update(status=status, posted_at=None)


def test_deleting_a_posted_invoice_is_refused(posted):
    # In SQL: the ORM would stop earlier, at the payment record's PROTECT.
    with refused(posted), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM invoicing_invoice WHERE id = %s", [posted.pk])
    assert Invoice.objects.filter(pk=posted.pk).exists()


def test_lines_of_a_posted_invoice_cannot_change_be_added_or_removed(posted):
    line = posted.lines.first()
    with refused(posted), transaction.atomic():
        InvoiceLine.objects.filter(pk=line.pk).update(total=0)
    with refused(posted), transaction.atomic():
        InvoiceLine.objects.filter(pk=line.pk).delete()
    with refused(posted), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=posted, sku="X", description="Sneaked in", quantity=1, unit_price=1, total=1
        )
    assert posted.lines.count() == 2


def test_a_posted_invoices_payment_record_can_be_reversed_but_not_moved(posted):
    record = posted.payment_records.get()
    with refused(posted), transaction.atomic():
        PaymentRecord.objects.filter(pk=record.pk).update(profile=ProfileFactory())
    with refused(posted), transaction.atomic():
        PaymentRecord.objects.filter(pk=record.pk).update(amount=1)
    with refused(posted), transaction.atomic():
        PaymentRecord.objects.filter(pk=record.pk).delete()


def test_a_draft_invoice_and_its_lines_can_change(anonymous_profile):
    draft = paid_invoice()
    Invoice.objects.filter(pk=draft.pk).update(profile=ProfileFactory())
    InvoiceLine.objects.filter(invoice=draft).update(description="Renamed")
    assert set(draft.lines.values_list("description", flat=True)) == {"Renamed"}
