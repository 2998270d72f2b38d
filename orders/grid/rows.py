"""The transactions grid's row, written in Python, as the orders list's is (orders.rows: the
template engine's per-variable cost was most of a page's render). The template's loop is
`{% grid_row row %}`; the values are prepared once per line by selectors._decorate, and every
value that is not a literal of this module goes through `escape`.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from orders.models import OrderLine

_PROFILE_TAG = ' <span class="tag" title="A customer profile">Profile</span>'


def grid_row(row: OrderLine, *, selectable: bool) -> SafeString:
    """Line `row`'s <tr>: tick box (where bulk actions are offered), placed, the other apps'
    link columns (the invoice number…), order, buyer, item, quantity, amount, status, payment,
    what was sent, and the row menu's button (site.js builds the menu from the data-*)."""
    line_id = escape(str(row.id))
    label = escape(row.aria_label)
    order_url = escape(row.order_url)
    link_data = "".join(
        f' data-link-{escape(link.name)}="{escape(found.url) if found else ""}"'
        for link, found in row.link_cells
    )
    tick = (
        f'<td class="select-col"><input type="checkbox" name="line" value="{line_id}"'
        f' aria-label="Select {label}"></td>'
        if selectable
        else ""
    )
    html = (
        f'<tr id="line-{line_id}" data-line="{line_id}" data-order-url="{order_url}"{link_data}>'
        f"{tick}"
        f'<td class="nowrap"><time datetime="{escape(row.placed_iso)}">{escape(row.placed_date)}'
        f' <span class="muted">{escape(row.placed_time)}</span></time></td>'
        f"{''.join(_link_cell(link, found) for link, found in row.link_cells)}"
        f'<td><a class="order-number" href="{order_url}">#{escape(str(row.number))}</a></td>'
        f'<td class="customer"><span class="customer-name">{escape(row.buyer_name)}'
        f"{_PROFILE_TAG if row.has_profile else ''}</span>"
        f' <span class="customer-email muted">{escape(row.buyer_email)}</span></td>'
        f'<td class="item"><span class="item-name">{escape(row.name)}</span>'
        f' <span class="item-meta muted">{escape(row.options_prefix)}'
        f'<span class="mono">{escape(row.sku)}</span></span></td>'
        f'<td class="num">{escape(str(row.quantity))}</td>'
        f'<td class="num nowrap">{escape(row.amount_label)}</td>'
        f'<td class="nowrap"><span class="badge status-{escape(row.status)}">'
        f"{escape(str(row.status_label))}</span></td>"
        f'<td class="nowrap"><span class="dot payment-{escape(row.payment)}">'
        f"{escape(str(row.payment_label))}</span></td>"
        f'<td class="nowrap"><span class="dot sent sent-{escape(row.fulfilment_status)}">'
        f"{escape(str(row.sent_label))}</span></td>"
        '<td class="actions-col"><button type="button" class="row-menu-button"'
        f' aria-haspopup="menu" aria-label="Actions for {label}" data-row-menu hidden>⋯</button>'
        "</td></tr>"
    )
    return mark_safe(html)  # noqa: S308 (every value above is escaped)


def _link_cell(link, found) -> str:
    """Another app's column: its link (the invoice's number) or why there is none."""
    if found:
        return (
            f'<td class="nowrap"><a class="invoice-number" href="{escape(found.url)}">'
            f"{escape(str(found.text))}</a></td>"
        )
    return (
        f'<td class="nowrap"><span class="muted" title="{escape(link.missing_reason)}">'
        f"{escape(link.missing)}</span></td>"
    )
