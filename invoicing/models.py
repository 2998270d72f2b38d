from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse

from orders.models import MONEY, NextVal

INVOICE_NUMBER_SEQUENCE = "invoicing_invoice_number_seq"


class InvoiceQuerySet(models.QuerySet):
    def live_for_payment(self, order):
        """The invoice that bills the order's current payment (the order's paid_at), unless
        it was voided. Posted invoices stay live even once credited: they never change."""
        return self.filter(
            order=order, kind=Invoice.Kind.INVOICE, order_paid_at=order.paid_at
        ).exclude(status=Invoice.Status.VOID)

    def live(self):
        """Invoices (not credit notes) that still stand: neither voided nor credited."""
        return (
            self.filter(kind=Invoice.Kind.INVOICE)
            .exclude(status=Invoice.Status.VOID)
            .filter(credit_notes__isnull=True)
        )


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    VOID = "void", "Void"


class Invoice(models.Model):
    """An invoice or a credit note. Numbers come from one database sequence for both kinds,
    shown as INV-000123 or CN-000124.

    A posted invoice is part of the books and never changes: the services refuse it, and a
    trigger (created in the migration) refuses any UPDATE or DELETE of it or of its lines.
    A paid order that is rolled back gets a credit note against its posted invoice instead.
    """

    Kind = InvoiceKind
    Status = InvoiceStatus
    PREFIXES = {Kind.INVOICE: "INV", Kind.CREDIT_NOTE: "CN"}

    number = models.BigIntegerField(unique=True, db_default=NextVal(INVOICE_NUMBER_SEQUENCE))
    kind = models.CharField(max_length=20, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    profile = models.ForeignKey(
        "customers.Profile", on_delete=models.PROTECT, related_name="invoices"
    )
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    # The payment this invoice bills: the order's paid_at when it was invoiced. An order paid,
    # rolled back and paid again has one invoice per payment.
    order_paid_at = models.DateTimeField(null=True, blank=True)
    # What the invoice says, copied from the order when it is issued: later edits to the
    # order do not change an invoice.
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=0)
    shipping = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY)
    issued_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)
    # PROTECT: a user who posted invoices is deactivated, not deleted.
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voided_at = models.DateTimeField(null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        permissions = [
            ("post_invoice", "Can post invoices (freeze them for the books)"),
            ("export_invoices", "Can export posted invoices for accounting"),
        ]
        indexes = [
            models.Index(fields=["-issued_at", "-id"], name="invoice_issued_idx"),
            models.Index(fields=["status", "-issued_at", "-id"], name="invoice_status_issued_idx"),
            models.Index(
                fields=["posted_at", "id"],
                condition=Q(status="posted"),
                name="invoice_posted_idx",
            ),
            # The list's search: a buyer's email in any case, or the start of their name.
            models.Index(Upper("customer_email"), name="invoice_email_upper_idx"),
            models.Index(
                OpClass(Upper("customer_name"), name="text_pattern_ops"),
                name="invoice_name_upper_prefix_idx",
            ),
        ]
        constraints = [
            # Idempotency in the database: one live invoice per payment of an order. Not one
            # per order: a posted invoice that was credited stays posted (it never changes),
            # and the order can be paid again.
            models.UniqueConstraint(
                fields=["order", "order_paid_at"],
                condition=Q(kind="invoice") & ~Q(status="void"),
                name="one_live_invoice_per_payment",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="invoice", status="draft"),
                name="one_draft_invoice_per_order",
            ),
            models.UniqueConstraint(
                fields=["credits"],
                condition=Q(kind="credit_note"),
                name="one_credit_note_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InvoiceKind.values), name="invoice_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="invoice", credits__isnull=True, total__gte=0)
                    | Q(kind="credit_note", credits__isnull=False, total__lte=0)
                ),
                name="invoice_kind_sign_and_credits",
            ),
            models.CheckConstraint(
                condition=Q(status="posted", posted_at__isnull=False)
                | (~Q(status="posted") & Q(posted_at__isnull=True)),
                name="invoice_posted_has_date",
            ),
        ]

    def __str__(self):
        return self.display_number

    def get_absolute_url(self):
        return reverse("invoicing:detail", kwargs={"number": self.number})

    @property
    def display_number(self) -> str:
        return f"{self.PREFIXES[self.kind]}-{self.number:06d}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_posted(self) -> bool:
        return self.status == self.Status.POSTED

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE


class InvoiceLine(models.Model):
    """One item of an invoice, copied from the order line. A credit note's lines mirror the
    invoice's: quantity, discount, tax and total negated, the unit price kept."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sku = models.CharField(max_length=64)
    description = models.CharField(max_length=500)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class PaymentRecord(models.Model):
    """The accounting record of the money received for an invoice, applied to a profile.

    Made from the order when it becomes paid (invoicing does not read payments/): the amount
    is the order's total and the reference its authorization code. Reversed, never deleted,
    when the order's payment is rolled back.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payment_records")
    profile = models.ForeignKey(
        "customers.Profile", on_delete=models.PROTECT, related_name="payment_records"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=100, blank=True, help_text="Authorization code.")
    received_at = models.DateTimeField()
    reversed_at = models.DateTimeField(null=True, blank=True)
    # The credit note that reversed it, when the invoice had been posted.
    reversal_credit_note = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(reversed_at__isnull=True),
                name="one_live_payment_record_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_record_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} for {self.invoice_id}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None
