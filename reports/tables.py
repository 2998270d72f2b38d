"""The user's exports as a django-tables2 Table."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html


class ExportTable(tables.Table):
    filename = tables.Column(verbose_name="File")
    created_at = tables.Column(verbose_name="Started", attrs={"td": {"class": "nowrap"}})
    rows_total = tables.Column(
        verbose_name="Rows", default="—", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    status = tables.Column(verbose_name="Status")

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid", "th": {"scope": "col"}}
        empty_text = "No exports yet. Use Export on the orders list to download what it shows."

    def render_filename(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("reports:export_detail", args=[record.pk]),
            record.filename,
        )

    def render_created_at(self, value):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"

    def render_status(self, record):
        if record.status == "done":
            return format_html(
                '<a href="{}">Download</a>', reverse("reports:export_download", args=[record.pk])
            )
        return record.get_status_display()
