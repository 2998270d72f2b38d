"""Every write to invoices and payment records.

Invoicing sits beside payments (it may not import them): it learns that an order was paid, or
that a payment was rolled back, from `order_status_changed`, and makes its payment record
from the order itself. Each service is atomic and locks the invoices it changes; a posted
invoice is refused here with a clear message, and by a database trigger below that.
"""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from core.formatting import money_label
from customers.models import CustomerSettings, Profile
from customers.services import anonymous_profile_set, profile_create
from orders.actors import Actor
from orders.dates import end_of_day, today
from orders.models import Channel, Order, OrderEvent, OrderStatus
from orders.services import OrderError, order_event_add
from orders.status import reverses_sale

from .models import Invoice, InvoiceLine, PaymentRecord

ANONYMOUS_PROFILE_NAME = ("Anonymous", "customer")


class InvoiceError(OrderError):
    """An invoicing rule was broken; the message is fit to show a user."""


class InvoicePosted(InvoiceError):
    pass


def _refuse_unless_draft(invoice: Invoice) -> None:
    if invoice.status == Invoice.Status.POSTED:
        raise InvoicePosted(
            f"Invoice {invoice.display_number} is posted: posted invoices cannot change."
        )
    if invoice.status == Invoice.Status.VOID:
        raise InvoiceError(f"Invoice {invoice.display_number} is void: it cannot change.")


def _locked(invoice_id: int) -> Invoice:
    try:
        return Invoice.objects.select_for_update().get(pk=invoice_id)
    except Invoice.DoesNotExist as exc:
        raise InvoiceError("No such invoice.") from exc


# ---- Which profile an order's invoice is applied to ----------------------------------------


def anonymous_profile() -> Profile:
    """The store's anonymous profile, which invoices of buyers who were not logged in go to.

    If none is configured yet, one named "Anonymous customer" is created and set in the
    customer settings (under the settings row's lock, so concurrent first guests make one).
    """
    row = CustomerSettings.objects.select_related("anonymous_profile").filter(pk=1).first()
    if row is not None and row.anonymous_profile is not None:
        return row.anonymous_profile
    with transaction.atomic():
        CustomerSettings.load()
        row = CustomerSettings.objects.select_for_update().get(pk=1)
        if row.anonymous_profile_id:
            return row.anonymous_profile
        first, last = ANONYMOUS_PROFILE_NAME
        profile = profile_create(first_name=first, last_name=last)
        anonymous_profile_set(profile=profile)
        return profile


def buyer_profile(order: Order) -> tuple[Profile, bool]:
    """The profile an order's invoice is applied to, and whether it is the anonymous one.

    The buyer's own profile if they were a logged-in member (seed 000), or if staff keyed the
    order in for a contact they picked (back-office orders); otherwise the anonymous profile.
    """
    profile = order.profile
    if profile is not None and (profile.is_member or order.channel == Channel.BACK_OFFICE):
        return profile, False
    return anonymous_profile(), True


# ---- Reacting to the order ------------------------------------------------------------------


def on_order_status_changed(sender, *, order, from_status, to_status, actor, **kwargs):
    """Keep invoices in step with the order (connected in InvoicingConfig.ready()).

    - Paid: the invoice (all of the order's lines under one number) and its payment record.
    - Rolled back or cancelled after payment: a draft invoice is voided; a posted one is
      credited by a credit note. Either way the payment record is reversed.
    """
    if to_status == OrderStatus.PAID:
        invoice_create_for_order(order=order, actor=actor)
    elif reverses_sale(from_status, to_status):
        invoice_reverse_for_order(order=order, actor=actor)


# No savepoint of its own: it runs inside order_transition's transaction on every paid order
# (the intake's hot path too), and a failure here fails the payment as a whole.
@transaction.atomic(savepoint=False)
def invoice_create_for_order(*, order: Order, actor: Actor) -> Invoice:
    """The invoice and payment record of an order's payment, exactly once.

    Guarantees: the order row is locked (order_transition already holds the lock, so this
    costs nothing there), so of concurrent calls for one payment the first creates and the
    others return its invoice; a partial unique index (one live invoice per payment) backs
    that in the database. All the order's lines share the invoice's one number.
    """
    Order.objects.select_for_update().filter(pk=order.pk).values_list("pk").get()
    existing = Invoice.objects.live_for_payment(order).first()
    if existing is not None:
        return existing
    profile, anonymous = buyer_profile(order)
    now = timezone.now()
    invoice = Invoice.objects.create(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.DRAFT,
        order=order,
        profile=profile,
        order_paid_at=order.paid_at,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        billing_address=order.billing_address,
        currency=order.currency,
        subtotal=order.subtotal,
        discount=order.discount_total,
        shipping=order.shipping_total,
        tax=order.tax_total,
        total=order.total,
        issued_at=now,
    )
    _invoice_lines_copy(invoice, order)
    # Nothing was received for a free order, so it gets no payment record.
    if order.total > 0:
        PaymentRecord.objects.create(
            invoice=invoice,
            profile=profile,
            amount=order.total,
            currency=order.currency,
            reference=order.authorization_code,
            received_at=order.paid_at or now,
        )
    applied = f"the anonymous profile ({profile})" if anonymous else f"{profile}'s profile"
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.INVOICE,
        message=(
            f"Invoice {invoice.display_number} for {money_label(invoice.total, invoice.currency)} "
            f"created{' with its payment record' if order.total > 0 else ''}, "
            f"applied to {applied}."
        ),
        actor=actor,
    )
    return invoice


def _invoice_lines_copy(invoice: Invoice, order: Order) -> None:
    """The order's lines, as they are now, as the invoice's lines, in one query."""
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                order_line=line,
                sku=line.sku,
                description=line.label,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax=line.tax,
                total=line.total,
            )
            for line in order.lines.order_by("id")
        ]
    )


@transaction.atomic(savepoint=False)
def invoice_reverse_for_order(*, order: Order, actor: Actor) -> Invoice | None:
    """Undo the invoice of a payment that was rolled back.

    A draft invoice is voided and its payment record reversed. A posted invoice never
    changes: a credit note (negative amounts, its own number, posted at once so the books
    balance) credits it, and the payment record is reversed with the credit note's reference.
    Returns the voided invoice or the credit note; None if there was nothing to undo.
    """
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(order=order)
        .live()
        .order_by("-issued_at", "-id")
        .first()
    )
    if invoice is None:
        return None
    now = timezone.now()
    if invoice.is_draft:
        invoice.status = Invoice.Status.VOID
        invoice.voided_at = now
        invoice.save(update_fields=["status", "voided_at"])
        reversed_ = _payment_records_reverse(invoice=invoice, at=now)
        message = f"Invoice {invoice.display_number} voided (it was not posted yet)" + (
            " and its payment record reversed." if reversed_ else "."
        )
        order_event_add(order=order, kind=OrderEvent.Kind.INVOICE, message=message, actor=actor)
        return invoice

    credit_note = _credit_note_create(invoice=invoice, actor=actor, at=now)
    reversed_ = _payment_records_reverse(invoice=invoice, at=now, credit_note=credit_note)
    message = (
        f"Invoice {invoice.display_number} is posted, so it stays as it is: credit note "
        f"{credit_note.display_number} for {money_label(credit_note.total, credit_note.currency)} "
        "issued and posted"
        + (f", payment record reversed against {credit_note.display_number}." if reversed_ else ".")
    )
    order_event_add(order=order, kind=OrderEvent.Kind.INVOICE, message=message, actor=actor)
    return credit_note


def _credit_note_create(*, invoice: Invoice, actor: Actor, at: datetime) -> Invoice:
    # Created as a draft, its lines added, then posted: the trigger refuses lines added to a
    # posted document.
    credit_note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        status=Invoice.Status.DRAFT,
        order_id=invoice.order_id,
        profile_id=invoice.profile_id,
        credits=invoice,
        customer_name=invoice.customer_name,
        customer_email=invoice.customer_email,
        billing_address=invoice.billing_address,
        currency=invoice.currency,
        subtotal=-invoice.subtotal,
        discount=-invoice.discount,
        shipping=-invoice.shipping,
        tax=-invoice.tax,
        total=-invoice.total,
        issued_at=at,
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=credit_note,
                order_line_id=line.order_line_id,
                sku=line.sku,
                description=line.description,
                quantity=-line.quantity,
                unit_price=line.unit_price,
                discount=-line.discount,
                tax=-line.tax,
                total=-line.total,
            )
            for line in invoice.lines.order_by("id")
        ]
    )
    credit_note.status = Invoice.Status.POSTED
    credit_note.posted_at = at
    credit_note.posted_by = actor.user
    credit_note.save(update_fields=["status", "posted_at", "posted_by"])
    return credit_note


def _payment_records_reverse(
    *, invoice: Invoice, at: datetime, credit_note: Invoice | None = None
) -> int:
    return PaymentRecord.objects.filter(invoice=invoice, reversed_at__isnull=True).update(
        reversed_at=at, reversal_credit_note=credit_note
    )


# ---- What staff and admins do -----------------------------------------------------------------


@transaction.atomic
def invoice_move(*, invoice_id: int, profile_id: int, actor: Actor) -> Invoice:
    """Apply a draft invoice and its payment records to another profile.

    Guarantees: the invoice row is locked; a posted or void invoice is refused with a
    message that says why, and nothing changes; the invoice and its payment records move
    together; the order's timeline records from whom to whom.
    """
    invoice = _locked(invoice_id)
    _refuse_unless_draft(invoice)
    try:
        profile = Profile.objects.get(pk=profile_id)
    except Profile.DoesNotExist as exc:
        raise InvoiceError("That profile does not exist (it may have been deleted).") from exc
    if profile.pk == invoice.profile_id:
        raise InvoiceError(f"Invoice {invoice.display_number} is already applied to {profile}.")
    previous = Profile.objects.get(pk=invoice.profile_id)
    invoice.profile = profile
    invoice.save(update_fields=["profile"])
    records = PaymentRecord.objects.filter(invoice=invoice).update(profile=profile)
    order_event_add(
        order=invoice.order,
        kind=OrderEvent.Kind.INVOICE,
        message=(
            f"Invoice {invoice.display_number}"
            f"{' and its payment record' if records else ''} moved from {previous} to {profile}."
        ),
        actor=actor,
    )
    return invoice


@transaction.atomic
def invoice_post(*, invoice_id: int, actor: Actor) -> Invoice:
    """Post a draft invoice: from now on it is part of the books and never changes.

    Guarantees: the invoice row is locked; posting a posted or void invoice is refused with
    a clear message and changes nothing; the order's timeline records who posted it.
    """
    invoice = _locked(invoice_id)
    if invoice.is_posted:
        raise InvoicePosted(f"Invoice {invoice.display_number} is already posted.")
    _refuse_unless_draft(invoice)
    invoice.status = Invoice.Status.POSTED
    invoice.posted_at = timezone.now()
    invoice.posted_by = actor.user
    invoice.save(update_fields=["status", "posted_at", "posted_by"])
    order_event_add(
        order=invoice.order,
        kind=OrderEvent.Kind.INVOICE,
        message=f"Invoice {invoice.display_number} posted.",
        actor=actor,
    )
    return invoice


@transaction.atomic
def invoice_post_batch(*, up_to: date, actor: Actor) -> int:
    """Post every draft invoice issued on or before `up_to` (a day in the store's timezone).

    Guarantees: the drafts are locked in id order (no deadlock with another batch) and posted
    together, or none are; each gets a timeline entry on its order. Returns how many were
    posted (0 when there were none). A date in the future is refused: it would post invoices
    issued after the batch was asked for.
    """
    if up_to > today():
        raise InvoiceError("Choose today or an earlier day: invoices are posted up to a day.")
    drafts = list(
        Invoice.objects.select_for_update()
        .filter(status=Invoice.Status.DRAFT, issued_at__lt=end_of_day(up_to))
        .order_by("id")
        .values_list("id", "order_id", "number", "kind")
    )
    if not drafts:
        return 0
    now = timezone.now()
    Invoice.objects.filter(pk__in=[pk for pk, *_ in drafts]).update(
        status=Invoice.Status.POSTED, posted_at=now, posted_by=actor.user
    )
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order_id=order_id,
                kind=OrderEvent.Kind.INVOICE,
                message=(
                    f"Invoice {Invoice(number=number, kind=kind).display_number} posted "
                    f"(batch: all drafts up to {up_to:%b} {up_to.day}, {up_to.year})."
                ),
                **actor.event_fields(),
            )
            for _, order_id, number, kind in drafts
        ]
    )
    return len(drafts)
