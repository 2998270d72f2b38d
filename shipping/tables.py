"""The back office's lists of shipping things, as django-tables2 Tables."""

import django_tables2 as tables
from django.utils.html import format_html

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
