"""The purchase orders list and Settings → Vendors as django-tables2 Tables (cells only; rows
come from purchasing.selectors)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from core.formatting import money_label


class PurchaseOrderTable(tables.Table):
    number = tables.Column(verbose_name="PO", attrs={"td": {"class": "nowrap"}})
    vendor = tables.Column(verbose_name="Vendor")
    order = tables.Column(verbose_name="Order")
    status = tables.Column(verbose_name="Status")
    created_at = tables.Column(verbose_name="Age", attrs={"td": {"class": "nowrap"}})
    units_owed = tables.Column(
        verbose_name="Still owed",
        empty_values=(),
        attrs={"th": {"class": "num"}, "td": {"class": "num"}},
    )
    cost = tables.Column(
        verbose_name="Cost", attrs={"th": {"class": "num"}, "td": {"class": "num nowrap"}}
    )

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid purchase-orders-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"po-{record.number}"}

    def render_number(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.label)

    def render_order(self, record):
        return format_html(
            '<a href="{}">#{}</a>', record.order.get_absolute_url(), record.order.number
        )

    def render_status(self, record):
        return format_html(
            '<span class="tag po-status-{}">{}</span>', record.status, record.get_status_display()
        )

    def render_created_at(self, value):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            value.isoformat(),
            f"{timezone.localtime(value):%b %-d, %Y %H:%M}",
            timesince(value).split(",")[0],
        )

    def render_units_owed(self, record):
        if not record.is_open or record.status == record.Status.DRAFT:
            return "—"
        return f"{record.units_owed or 0} units" if record.units_owed else "nothing"

    def render_cost(self, record):
        return money_label(record.cost, record.order.currency)


class VendorTable(tables.Table):
    name = tables.Column(verbose_name="Name")
    po_method = tables.Column(verbose_name="POs by", empty_values=())
    contact_name = tables.Column(verbose_name="Contact")
    email = tables.Column(verbose_name="Email")
    is_active = tables.Column(verbose_name="State")

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid vendors-grid", "th": {"scope": "col"}}
        row_attrs = {"class": lambda record: "" if record.is_active else "row-muted"}
        empty_text = "No vendors yet. Add the suppliers that drop-ship your products."

    def render_name(self, record):
        return format_html(
            '<a href="{}"><strong>{}</strong></a>',
            reverse("purchasing:vendor_edit", args=[record.pk]),
            record.name,
        )

    def render_po_method(self, record):
        if record.po_method == record.PoMethod.EMAIL:
            return f"Email to {', '.join(record.po_emails) or '(no address)'}"
        if record.po_method == record.PoMethod.EDI:
            return f"EDI, {record.get_edi_transport_display()}"
        return format_html('<span class="muted">{}</span>', "Not set: POs cannot be sent")

    def render_is_active(self, value):
        return "Active" if value else "Inactive"
