"""The gateways list as a django-tables2 Table (Settings → Payment gateways)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class GatewayTable(tables.Table):
    name = tables.Column(verbose_name="Name")
    kind = tables.Column(verbose_name="Type")
    mode = tables.Column(verbose_name="Mode")
    is_active = tables.Column(verbose_name="State")
    notification_url = tables.Column(
        verbose_name="Notification URL", attrs={"td": {"class": "mono small url-cell"}}
    )
    actions = tables.TemplateColumn(
        template_name="settings/_gateway_actions.html",
        verbose_name="Actions",
        orderable=False,
        attrs={"th": {"class": "actions-col"}, "td": {"class": "actions-col"}},
    )

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid gateways-grid", "th": {"scope": "col"}}
        row_attrs = {"class": lambda record: "" if record.is_active else "row-muted"}
        empty_text = (
            "No payment gateway yet. Add the built-in test gateway to try charging, "
            "or Stripe to take real payments."
        )

    def __init__(self, *args, can_change: bool = False, **kwargs):
        self.can_change = can_change
        super().__init__(*args, **kwargs)

    def render_name(self, record):
        if self.can_change:
            return format_html(
                '<a href="{}"><strong>{}</strong></a>',
                reverse("payments:gateway_edit", args=[record.pk]),
                record.name,
            )
        return format_html("<strong>{}</strong>", record.name)

    def render_kind(self, record):
        return record.get_kind_display()

    def render_mode(self, record):
        return format_html(
            '<span class="mode mode-{}">{}</span>', record.mode, record.get_mode_display()
        )

    def render_is_active(self, value):
        if value:
            return mark_safe('<span class="badge status-paid">Active</span>')
        return mark_safe('<span class="badge status-complete">Inactive</span>')
