"""The invoice list as a django-tables2 Table: columns and cells only; rows come paged by keyset
from invoicing.selectors.invoice_list."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.formatting import money_label


class InvoiceTable(tables.Table):
    number = tables.Column(verbose_name="Number", attrs={"td": {"class": "nowrap"}})
    issued_at = tables.Column(verbose_name="Issued", attrs={"td": {"class": "nowrap"}})
    order = tables.Column(verbose_name="Order")
    customer = tables.Column(
        verbose_name="Customer", empty_values=(), attrs={"td": {"class": "customer"}}
    )
    profile = tables.Column(verbose_name="Applied to")
    total = tables.Column(
        verbose_name="Total", attrs={"th": {"class": "num"}, "td": {"class": "num nowrap"}}
    )
    status = tables.Column(verbose_name="Status")
    links = tables.Column(
        verbose_name="Links",
        empty_values=(),
        attrs={"th": {"class": "actions-col"}, "td": {"class": "actions-col"}},
    )

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid invoices-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"invoice-{record.number}"}

    def render_number(self, record):
        credit = (
            mark_safe(' <span class="tag tag-credit">Credit note</span>')
            if record.is_credit_note
            else ""
        )
        return format_html(
            '<a class="invoice-number" href="{}">{}</a>{}',
            record.get_absolute_url(),
            record.display_number,
            credit,
        )

    def render_issued_at(self, value):
        local = timezone.localtime(value)
        return format_html(
            '<time datetime="{}">{} <span class="muted">{}</span></time>',
            value.isoformat(),
            f"{local:%b} {local.day}, {local.year}",
            f"{local:%H:%M}",
        )

    def render_order(self, value):
        return format_html(
            '<a href="{}">#{}</a>', reverse("orders:detail", args=[value.number]), value.number
        )

    def render_customer(self, record):
        return format_html(
            '<span class="customer-name">{}</span> <span class="customer-email muted">{}</span>',
            record.customer_name or "—",
            record.customer_email,
        )

    def render_profile(self, value):
        member = mark_safe('<span class="tag tag-member">Member</span>') if value.is_member else ""
        return format_html("{}{}", value, member)

    def render_total(self, record):
        return money_label(record.total, record.currency)

    def render_status(self, record):
        return format_html(
            '<span class="badge invoice-status invoice-status-{}">{}</span>',
            record.status,
            record.get_status_display(),
        )

    def render_links(self, record):
        return format_html('<a href="{}">PDF</a>', reverse("invoicing:pdf", args=[record.number]))
