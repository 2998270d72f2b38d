"""The orders app's django-tables2 Tables (the orders list and the grid keep their own tables,
their rows written by orders.rows and orders.grid.rows: see the measurements in
orders/selectors.py and orders/grid/selectors.py)."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html


class SavedViewTable(tables.Table):
    """A user's saved views and the shared ones, with Delete where they may."""

    name = tables.Column(verbose_name="Name")
    page = tables.Column(verbose_name="List")
    shared = tables.Column(verbose_name="Seen by")
    owner = tables.Column(verbose_name="Saved by")
    created_at = tables.Column(verbose_name="Saved", attrs={"td": {"class": "nowrap"}})
    delete = tables.TemplateColumn(
        template_name="orders/_saved_view_delete.html",
        verbose_name="Actions",
        empty_values=(),
        attrs={"th": {"class": "actions-col"}, "td": {"class": "actions-col"}},
    )

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid saved-views-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"saved-view-{record.pk}"}
        empty_text = (
            "No saved views yet. Filter the orders list or the transactions grid, then use "
            "+ Save view to keep those filters as a tab."
        )

    def render_name(self, record):
        return format_html('<a href="{}">{}</a>', record.url, record.name)

    def render_page(self, record):
        return record.get_page_display()

    def render_shared(self, record):
        return "Everyone" if record.shared else "Only you"

    def render_owner(self, record):
        return "You" if record.mine else str(record.owner)

    def render_created_at(self, value):
        local = timezone.localtime(value)
        return f"{local:%b} {local.day}, {local.year}"
