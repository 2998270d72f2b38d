"""Moving, posting and batch posting invoices, and every refusal."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from invoicing.models import Invoice, PaymentRecord
from invoicing.services import (
    InvoiceError,
    InvoicePosted,
    invoice_move,
    invoice_post,
    invoice_post_batch,
)
from orders.actors import Actor
from orders.models import OrderEvent
from tests.factories import ProfileFactory, UserFactory

from .conftest import invoice_snapshot, paid_invoice, roll_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_actor(db):
    return Actor.of(UserFactory(role="admin"))


def test_moving_a_draft_invoice_moves_its_payment_record_too(anonymous_profile):
    invoice = paid_invoice()
    customer = ProfileFactory(first_name="Grace", last_name="Hopper")

    invoice_move(invoice_id=invoice.pk, profile_id=customer.pk, actor=Actor.system())

    invoice.refresh_from_db()
    assert invoice.profile == customer
    assert invoice.payment_records.get().profile == customer
    event = invoice.order.events.filter(kind=OrderEvent.Kind.INVOICE).last()
    assert event.message == (
        f"Invoice {invoice.display_number} and its payment record moved from "
        f"{anonymous_profile} to Grace Hopper."
    )


def test_moving_a_posted_invoice_is_refused_and_changes_nothing(anonymous_profile, admin_actor):
    invoice = paid_invoice()
    invoice_post(invoice_id=invoice.pk, actor=admin_actor)
    before = invoice_snapshot(invoice)
    customer = ProfileFactory()

    with pytest.raises(InvoicePosted) as refused:
        invoice_move(invoice_id=invoice.pk, profile_id=customer.pk, actor=Actor.system())

    assert str(refused.value) == (
        f"Invoice {invoice.display_number} is posted: posted invoices cannot change."
    )
    assert invoice_snapshot(invoice) == before
    assert PaymentRecord.objects.get(invoice=invoice).profile == anonymous_profile


def test_moving_a_void_invoice_is_refused(anonymous_profile):
    invoice = paid_invoice()
    roll_back(invoice.order)
    with pytest.raises(InvoiceError, match="is void"):
        invoice_move(invoice_id=invoice.pk, profile_id=ProfileFactory().pk, actor=Actor.system())


def test_moving_to_a_missing_profile_is_refused(anonymous_profile):
    invoice = paid_invoice()
    with pytest.raises(InvoiceError, match="does not exist"):
        invoice_move(invoice_id=invoice.pk, profile_id=999_999, actor=Actor.system())


def test_moving_to_the_same_profile_is_refused(anonymous_profile):
    invoice = paid_invoice()
    with pytest.raises(InvoiceError, match="already applied to"):
        invoice_move(invoice_id=invoice.pk, profile_id=anonymous_profile.pk, actor=Actor.system())


def test_moving_a_missing_invoice_is_refused():
    with pytest.raises(InvoiceError, match="No such invoice"):
        invoice_move(invoice_id=999_999, profile_id=1, actor=Actor.system())


# ---- Posting ----------------------------------------------------------------------------------


def test_posting_freezes_the_invoice_and_records_who(anonymous_profile, admin_actor):
    invoice = paid_invoice()
    invoice_post(invoice_id=invoice.pk, actor=admin_actor)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.POSTED
    assert invoice.posted_by == admin_actor.user
    assert invoice.posted_at is not None
    event = invoice.order.events.filter(kind=OrderEvent.Kind.INVOICE).last()
    assert event.message == f"Invoice {invoice.display_number} posted."
    assert event.actor == admin_actor.user


def test_posting_twice_is_refused(anonymous_profile, admin_actor):
    invoice = paid_invoice()
    invoice_post(invoice_id=invoice.pk, actor=admin_actor)
    before = invoice_snapshot(invoice)
    with pytest.raises(InvoicePosted, match="is already posted"):
        invoice_post(invoice_id=invoice.pk, actor=admin_actor)
    assert invoice_snapshot(invoice) == before


def test_posting_a_void_invoice_is_refused(anonymous_profile, admin_actor):
    invoice = paid_invoice()
    roll_back(invoice.order)
    with pytest.raises(InvoiceError, match="is void"):
        invoice_post(invoice_id=invoice.pk, actor=admin_actor)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID


# ---- Batch posting ----------------------------------------------------------------------------


def _issued(invoice: Invoice, when: datetime) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=when)
    invoice.refresh_from_db()
    return invoice


def test_batch_posts_the_drafts_issued_up_to_the_day(anonymous_profile, admin_actor):
    today = timezone.localdate()
    old = _issued(paid_invoice(), timezone.now() - timedelta(days=3))
    yesterday = _issued(paid_invoice(), timezone.now() - timedelta(days=1))
    fresh = paid_invoice()
    voided = _issued(paid_invoice(), timezone.now() - timedelta(days=3))
    roll_back(voided.order)

    count = invoice_post_batch(up_to=today - timedelta(days=1), actor=admin_actor)

    assert count == 2
    statuses = dict(Invoice.objects.values_list("pk", "status"))
    assert statuses[old.pk] == statuses[yesterday.pk] == Invoice.Status.POSTED
    assert statuses[fresh.pk] == Invoice.Status.DRAFT
    assert statuses[voided.pk] == Invoice.Status.VOID
    assert Invoice.objects.get(pk=old.pk).posted_by == admin_actor.user
    event = old.order.events.filter(kind=OrderEvent.Kind.INVOICE).last()
    assert event.message.startswith(f"Invoice {old.display_number} posted (batch")
    assert event.actor == admin_actor.user


def test_batch_with_nothing_to_post_posts_nothing(anonymous_profile, admin_actor):
    paid_invoice()
    assert (
        invoice_post_batch(up_to=timezone.localdate() - timedelta(days=5), actor=admin_actor) == 0
    )
    assert not Invoice.objects.filter(status=Invoice.Status.POSTED).exists()


def test_batch_posting_a_future_day_is_refused(anonymous_profile, admin_actor):
    paid_invoice()
    with pytest.raises(InvoiceError, match="today or an earlier day"):
        invoice_post_batch(up_to=timezone.localdate() + timedelta(days=1), actor=admin_actor)
    assert not Invoice.objects.filter(status=Invoice.Status.POSTED).exists()


@override_settings(TIME_ZONE="America/New_York")
def test_batch_days_are_the_stores_days(anonymous_profile, admin_actor):
    new_york = ZoneInfo("America/New_York")
    # 23:30 on March 9 in New York is already March 10 in UTC.
    late_evening = _issued(paid_invoice(), datetime(2026, 3, 9, 23, 30, tzinfo=new_york))
    next_morning = _issued(paid_invoice(), datetime(2026, 3, 10, 0, 30, tzinfo=new_york))

    assert invoice_post_batch(up_to=datetime(2026, 3, 9).date(), actor=admin_actor) == 1

    late_evening.refresh_from_db()
    next_morning.refresh_from_db()
    assert late_evening.status == Invoice.Status.POSTED
    assert next_morning.status == Invoice.Status.DRAFT
