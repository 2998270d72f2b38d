"""The order list as a django-tables2 Table: the same cells, row attributes and headers as
templates/orders/order_list.html's rows (rows decorated by orders.selectors._decorate)."""

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .templatetags.orders_tags import sort_header

_NOWRAP = {"td": {"class": "nowrap"}}


class OrderTable(tables.Table):
    tick = tables.Column(
        empty_values=(),
        attrs={"th": {"scope": "col", "class": "check-col"}, "td": {"class": "check-col"}},
    )
    number = tables.Column(verbose_name="Order")
    placed_at = tables.Column(verbose_name="Placed", attrs=_NOWRAP)
    channel = tables.Column(
        verbose_name="Channel",
        attrs={"th": {"scope": "col", "class": "col-channel"}, "td": {"class": "col-channel"}},
    )
    customer = tables.Column(
        verbose_name="Customer", empty_values=(), attrs={"td": {"class": "customer"}}
    )
    item_count = tables.Column(
        verbose_name="Items",
        empty_values=(),
        attrs={"th": {"scope": "col", "class": "num col-items"}, "td": {"class": "num col-items"}},
    )
    total = tables.Column(
        verbose_name="Total",
        attrs={"th": {"scope": "col", "class": "num"}, "td": {"class": "num nowrap"}},
    )
    status = tables.Column(verbose_name="Status", attrs=_NOWRAP)
    actions = tables.Column(
        verbose_name="Change status",
        empty_values=(),
        attrs={"th": {"scope": "col", "class": "actions-col"}, "td": {"class": "actions-col"}},
    )

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid orders-grid", "th": {"scope": "col"}}
        row_attrs = {
            "id": lambda record: f"order-{record.number}",
            "class": lambda record, table: (
                "row-changed" if table.changed else "row-new" if record.is_new else None
            ),
        }

    def __init__(
        self,
        *args,
        request,
        page,
        can_change_status: bool,
        next_url: str,
        changed: bool = False,
        form_open: bool = False,
        **kwargs,
    ):
        self.can_change_status = can_change_status
        self.next_url = next_url
        self.changed = changed
        self.form_open = form_open
        self.csrf_token = get_token(request)
        exclude = () if can_change_status else ("tick",)
        super().__init__(*args, exclude=exclude, **kwargs)
        context = {"request": request}
        sortable = {"number": "Order"} if page.number_prefix else {
            "number": "Order", "placed_at": "Placed", "total": "Total", "status": "Status"
        }  # fmt: skip
        for name, label in sortable.items():
            self.columns[name].column.verbose_name = sort_header(context, name, label, page.sort)
        self.columns["tick"].column.verbose_name = mark_safe(
            '<input type="checkbox" data-select-page aria-label="Select every order on this page" hidden>'
        )

    def render_tick(self, record):
        return format_html(
            '<input type="checkbox" name="order" value="{}" form="bulk-status" '
            'aria-label="Select order #{}">',
            record.number,
            record.number,
        )

    def render_number(self, record):
        new = mark_safe(' <span class="tag tag-new">New</span>') if record.is_new else ""
        return format_html(
            '<a class="order-number" href="{}">#{}</a>{}', record.url, record.number, new
        )

    def render_placed_at(self, record):
        return format_html(
            '<time datetime="{}">{} <span class="muted placed-time">{}</span></time>',
            record.placed_iso,
            record.placed_date,
            record.placed_time,
        )

    def render_channel(self, record):
        return format_html(
            '<span class="channel channel-{}">{}</span>',
            record.channel,
            record.get_channel_display(),
        )

    def render_customer(self, record):
        return format_html(
            '\n        <span class="customer-name">{}</span>\n'
            '        <span class="customer-email muted">{}</span>\n      ',
            record.customer_name or "—",
            record.customer_email,
        )

    def render_item_count(self, record):
        return str(record.item_count)

    def render_total(self, record):
        return record.total_label

    def render_status(self, record):
        risk = ""
        if record.risk_level in ("high", "medium"):
            risk = format_html(
                ' <span class="risk risk-{} risk-small" title="Fraud review: {} risk">{} risk</span>',
                record.risk_level,
                record.risk_level,
                record.get_risk_level_display(),
            )
        return format_html(
            '<span class="badge status-{}">{}</span>{}',
            record.status,
            record.get_status_display(),
            risk,
        )

    def render_actions(self, record):
        if self.form_open:
            return mark_safe('<span class="muted small">Fill in the form below…</span>')
        if not (self.can_change_status and record.transitions):
            return mark_safe('<span class="muted">—</span>')
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (target, format_html(' data-confirm="{}"', confirm) if confirm else "", label)
                for target, label, confirm in record.move_options
            ),
        )
        return format_html(
            '<form class="row-form" method="post" action="{url}" hx-post="{url}" '
            'hx-target="closest tr" hx-swap="outerHTML">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            '<input type="hidden" name="next" value="{next}">'
            '<input type="hidden" name="partial" value="row">'
            '<select name="to" required aria-label="New status for order #{number}">'
            '<option value="">Change…</option>{options}</select>'
            '<button type="submit" class="btn btn-small">Apply</button></form>',
            url=record.status_url,
            csrf=self.csrf_token,
            next=self.next_url,
            number=record.number,
            options=options,
        )
