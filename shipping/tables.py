"""The back office's lists of shipping things, as django-tables2 Tables."""

import django_tables2 as tables
from django.utils.html import format_html

from core.formatting import money_label

from .models import Carrier


class CarrierTable(tables.Table):
    """Settings → Carriers: every carrier, its tracking link and number check, active or not."""

    name = tables.Column(linkify=("shipping:carrier_edit", {"pk": tables.A("pk")}))
    number_check = tables.Column(verbose_name="Tracking-number check", empty_values=())
    tracking_url_template = tables.Column(
        verbose_name="Tracking link", empty_values=(), attrs={"td": {"class": "mono small"}}
    )
    is_active = tables.Column(verbose_name="State")

    class Meta:
        model = Carrier
        fields = ["name", "number_check", "tracking_url_template", "is_active"]
        orderable = False
        attrs = {"class": "grid carriers-grid"}
        row_attrs = {"class": lambda record: "" if record.is_active else "row-muted"}
        empty_text = "No carrier yet."

    def render_number_check(self, record):
        return record.get_number_check_display()

    def render_tracking_url_template(self, value):
        return value or format_html('<span class="muted">{}</span>', "No link")

    def render_is_active(self, value):
        if value:
            return format_html('<span class="badge status-paid">{}</span>', "Active")
        return format_html('<span class="badge status-complete">{}</span>', "Inactive")


class ShippingMethodTable(tables.Table):
    """Settings → Shipping speeds: what staff choose per address on a back-office order."""

    name = tables.Column(linkify=("shipping:shipping_method_edit", {"pk": tables.A("pk")}))
    transit = tables.Column(verbose_name="Speed", empty_values=(), accessor="transit_time")
    price = tables.Column(
        verbose_name="Price", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    free_from_subtotal = tables.Column(
        verbose_name="Free from",
        empty_values=(),
        attrs={"th": {"class": "num"}, "td": {"class": "num"}},
    )
    carrier = tables.Column(verbose_name="Carrier", empty_values=())
    is_active = tables.Column(verbose_name="State")

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid shipping-methods-grid", "th": {"scope": "col"}}
        row_attrs = {"class": lambda record: "" if record.is_active else "row-muted"}
        empty_text = "No shipping speeds yet: add one so back-office orders can ship."

    def render_price(self, value):
        return money_label(value)

    def render_free_from_subtotal(self, value):
        return money_label(value) if value is not None else "—"

    def render_carrier(self, value):
        return (
            value.name
            if value
            else format_html('<span class="muted">{}</span>', "Chosen when shipped")
        )

    def render_is_active(self, value):
        return "Active" if value else "Inactive"
