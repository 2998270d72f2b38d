"""The transactions grid's row (orders.grid.rows, written in Python for speed): its markup,
cell by cell, with the other apps' link columns, and every value escaped."""

import re

import pytest
from django.test.html import parse_html
from django.urls import reverse

from orders.grid.rows import grid_row
from tests.factories import OrderFactory, OrderLineFactory, ProfileFactory

pytestmark = pytest.mark.django_db
GRID = reverse("orders:grid")
HOSTILE = '<script>alert("x")</script> O\'Brien & Co'


def _row_html(response, line_id: int) -> str:
    match = re.search(rf'<tr id="line-{line_id}".*?</tr>', response.content.decode(), re.S)
    assert match, f"no row for line {line_id}"
    return match.group(0)


def _shown(response, line_id: int):
    return next(row for row in response.context["page"].rows if row.id == line_id)


def test_a_row_shows_every_cell_and_its_link_columns(staff_client):
    order = OrderFactory(customer_name="Anne Smith", profile=ProfileFactory())
    line = OrderLineFactory(order=order, quantity=2, options="Blue / L")
    response = staff_client.get(GRID)
    row, shown = _row_html(response, line.id), _shown(response, line.id)
    assert shown.link_cells, "an app above orders adds a column (invoicing's invoice number)"
    url = reverse("orders:detail", kwargs={"number": order.number})
    data = "".join(f' data-link-{link.name}=""' for link, _ in shown.link_cells)
    cells = "".join(
        f'<td class="nowrap"><span class="muted" title="{link.missing_reason}">{link.missing}'
        "</span></td>"
        for link, _ in shown.link_cells
    )
    label = f"{line.sku} of order #{order.number}"
    expected = f"""
    <tr id="line-{line.id}" data-line="{line.id}" data-order-url="{url}"{data}>
      <td class="select-col"><input type="checkbox" name="line" value="{line.id}"
          aria-label="Select {label}"></td>
      <td class="nowrap"><time datetime="{shown.placed_iso}">{shown.placed_date}
          <span class="muted">{shown.placed_time}</span></time></td>
      {cells}
      <td><a class="order-number" href="{url}">#{order.number}</a></td>
      <td class="customer"><span class="customer-name">Anne Smith
          <span class="tag" title="A customer profile">Profile</span></span>
          <span class="customer-email muted">{order.customer_email}</span></td>
      <td class="item"><span class="item-name">{line.name}</span>
          <span class="item-meta muted">Blue / L · <span class="mono">{line.sku}</span></span></td>
      <td class="num">2</td>
      <td class="num nowrap">{shown.amount_label}</td>
      <td class="nowrap"><span class="badge status-pending">Pending</span></td>
      <td class="nowrap"><span class="dot payment-unpaid">{shown.payment_label}</span></td>
      <td class="nowrap"><span class="dot sent sent-{line.fulfilment_status}">{shown.sent_label}</span></td>
      <td class="actions-col"><button type="button" class="row-menu-button" aria-haspopup="menu"
          aria-label="Actions for {label}" data-row-menu hidden>⋯</button></td>
    </tr>"""
    assert parse_html(row) == parse_html(expected)


def test_every_value_in_a_row_is_escaped(staff_client):
    order = OrderFactory(customer_name=HOSTILE, customer_email='x"><img src=x>@example.com')
    line = OrderLineFactory(order=order, name=HOSTILE, options='"><b>', sku="SKU<1>")
    row = _row_html(staff_client.get(GRID), line.id)
    assert "<script>" not in row and "<img" not in row and "<b>" not in row
    assert row.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Brien &amp; Co") == 2
    assert 'aria-label="Select SKU&lt;1&gt; of order' in row


def test_a_row_without_bulk_actions_has_no_tick_box(viewer_client):
    line = OrderLineFactory()
    response = viewer_client.get(GRID)
    assert 'name="line"' not in _row_html(response, line.id)
    assert 'name="line"' in grid_row(_shown(response, line.id), selectable=True)
