from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Invoice, InvoiceLine, PaymentRecord


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["sku", "description", "quantity", "unit_price", "discount", "tax", "total"]
    readonly_fields = fields


class PaymentRecordInline(ReadOnlyInline):
    model = PaymentRecord
    fk_name = "invoice"
    fields = ["profile", "amount", "currency", "reference", "received_at", "reversed_at"]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """For inspection only: invoices move and post through the invoice pages, where the
    rules (and the audit in the order's timeline) apply."""

    list_display = ["__str__", "kind", "status", "issued_at", "posted_at", "profile", "total"]
    list_filter = ["status", "kind"]
    search_fields = ["=number", "customer_email"]
    list_select_related = ["profile"]
    show_full_result_count = False
    raw_id_fields = ["order", "profile", "credits", "posted_by"]
    inlines = [InvoiceLineInline, PaymentRecordInline]
