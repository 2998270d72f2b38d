"""The Drafts tab as a django-tables2 Table (cells only; rows come from entry.selectors)."""

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince


class DraftTable(tables.Table):
    draft = tables.Column(verbose_name="Draft", accessor="pk")
    contact = tables.Column(verbose_name="Contact", accessor="profile", empty_values=())
    item_count = tables.Column(
        verbose_name="Items", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    step = tables.Column(verbose_name="Step")
    updated_at = tables.Column(verbose_name="Saved", attrs={"td": {"class": "nowrap"}})
    actions = tables.Column(verbose_name="Actions", empty_values=(), orderable=False)

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid drafts-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"draft-{record.pk}"}
        empty_text = "No drafts: start one with “+ → Add cart order”."

    def render_draft(self, record):
        return format_html('<a href="{}">Draft {}</a>', record.get_absolute_url(), record.pk)

    def render_contact(self, record):
        return str(record.profile) if record.profile_id else "—"

    def render_step(self, record):
        return record.get_step_display()

    def render_updated_at(self, value):
        return format_html(
            '<time datetime="{}" title="{}">{} ago</time>',
            value.isoformat(),
            f"{timezone.localtime(value):%b %-d, %Y %H:%M}",
            timesince(value).split(",")[0],
        )

    def render_actions(self, record):
        return format_html(
            '<a class="btn btn-small" href="{}">Resume</a> '
            '<form method="post" action="{}" class="inline-form">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="btn btn-small btn-danger" '
            'data-confirm="Discard draft {}? It cannot be brought back.">Discard</button></form>',
            record.get_absolute_url(),
            reverse("entry:discard", kwargs={"pk": record.pk}),
            get_token(self.request),
            record.pk,
        )
