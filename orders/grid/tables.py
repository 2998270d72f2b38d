"""The transactions grid as a django-tables2 Table: the same cells, row attributes and headers
as templates/orders/grid.html's rows (rows decorated by orders.grid.selectors._decorate), with
a column for each row link another app registered (orders.grid.registry)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..templatetags.orders_tags import sort_header

_NOWRAP = {"td": {"class": "nowrap"}}


class LinkColumn(tables.Column):
    """A registered RowLink's cell: the link, or why there is none."""

    def __init__(self, link, index: int):
        self.row_link, self.index = link, index
        super().__init__(verbose_name=link.column, empty_values=(), attrs=_NOWRAP)

    def render(self, record):
        found = record.link_cells[self.index][1]
        if found:
            return format_html('<a class="invoice-number" href="{}">{}</a>', found.url, found.text)
        return format_html(
            '<span class="muted" title="{}">{}</span>',
            self.row_link.missing_reason,
            self.row_link.missing,
        )


def _link_url(index: int):
    """The row's data-link-<name>: its link's URL, or "" (django-tables2 passes a row
    attribute's callable only the arguments it names, so the index is closed over)."""
    return lambda record: found.url if (found := record.link_cells[index][1]) else ""


def _row_attrs(links):
    attrs = {
        "id": lambda record: f"line-{record.id}",
        "data-line": lambda record: str(record.id),
        "data-order-url": lambda record: record.order_url,
    }
    for index, link in enumerate(links):
        attrs[f"data-link-{link.name}"] = _link_url(index)
    return attrs


class LineTable(tables.Table):
    select = tables.Column(
        empty_values=(),
        attrs={"th": {"scope": "col", "class": "select-col"}, "td": {"class": "select-col"}},
    )
    placed_at = tables.Column(verbose_name="Date", attrs=_NOWRAP)
    number = tables.Column(verbose_name="Order", empty_values=())
    buyer = tables.Column(
        verbose_name="Buyer", empty_values=(), attrs={"td": {"class": "customer"}}
    )
    item = tables.Column(verbose_name="Item", empty_values=(), attrs={"td": {"class": "item"}})
    quantity = tables.Column(
        verbose_name="Qty", attrs={"th": {"scope": "col", "class": "num"}, "td": {"class": "num"}}
    )
    amount = tables.Column(
        verbose_name="Amount",
        empty_values=(),
        attrs={"th": {"scope": "col", "class": "num"}, "td": {"class": "num nowrap"}},
    )
    status = tables.Column(verbose_name="Status", empty_values=(), attrs=_NOWRAP)
    payment = tables.Column(verbose_name="Payment", empty_values=(), attrs=_NOWRAP)
    sent = tables.Column(verbose_name="Sent", empty_values=(), attrs=_NOWRAP)
    menu = tables.Column(
        verbose_name=mark_safe('<span class="sr-only">Actions</span>'),
        empty_values=(),
        attrs={"th": {"scope": "col", "class": "actions-col"}, "td": {"class": "actions-col"}},
    )

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {
            "class": "grid items-grid",
            "aria-label": "Items purchased",
            "data-grid": "",
            "th": {"scope": "col"},
        }

    def __init__(self, *args, request, page, can_select: bool, **kwargs):
        links = page.links
        extra = [(f"link_{link.name}", LinkColumn(link, i)) for i, link in enumerate(links)]
        order = ["select", "placed_at", *(name for name, _ in extra), "..."]
        super().__init__(
            *args,
            extra_columns=extra,
            sequence=order,
            exclude=() if can_select else ("select",),
            row_attrs=_row_attrs(links),
            **kwargs,
        )
        context = {"request": request}
        for name, label in {
            "placed_at": "Date", "number": "Order", "quantity": "Qty", "total": "Amount"
        }.items():  # fmt: skip
            column = "amount" if name == "total" else name
            self.columns[column].column.verbose_name = sort_header(context, name, label, page.sort)
        self.columns["select"].column.verbose_name = mark_safe(
            '<input type="checkbox" data-select-page aria-label="Select every item on this page" hidden>'
        )

    def render_select(self, record):
        return format_html(
            '<input type="checkbox" name="line" value="{}" aria-label="Select {}">',
            record.id,
            record.aria_label,
        )

    def render_placed_at(self, record):
        return format_html(
            '<time datetime="{}">{} <span class="muted">{}</span></time>',
            record.placed_iso,
            record.placed_date,
            record.placed_time,
        )

    def render_number(self, record):
        return format_html(
            '<a class="order-number" href="{}">#{}</a>', record.order_url, record.number
        )

    def render_buyer(self, record):
        profile = (
            mark_safe(' <span class="tag" title="A customer profile">Profile</span>')
            if record.has_profile
            else ""
        )
        return format_html(
            '\n          <span class="customer-name">{}{}</span>\n'
            '          <span class="customer-email muted">{}</span>\n        ',
            record.buyer_name,
            profile,
            record.buyer_email,
        )

    def render_item(self, record):
        return format_html(
            '\n          <span class="item-name">{}</span>\n'
            '          <span class="item-meta muted">{}<span class="mono">{}</span></span>\n        ',
            record.name,
            record.options_prefix,
            record.sku,
        )

    def render_quantity(self, record):
        return str(record.quantity)

    def render_amount(self, record):
        return record.amount_label

    def render_status(self, record):
        return format_html(
            '<span class="badge status-{}">{}</span>', record.status, record.status_label
        )

    def render_payment(self, record):
        return format_html(
            '<span class="dot payment-{}">{}</span>', record.payment, record.payment_label
        )

    def render_sent(self, record):
        return format_html(
            '<span class="dot sent sent-{}">{}</span>', record.fulfilment_status, record.sent_label
        )

    def render_menu(self, record):
        return format_html(
            '<button type="button" class="row-menu-button" aria-haspopup="menu" '
            'aria-label="Actions for {}" data-row-menu hidden>⋯</button>',
            record.aria_label,
        )
