"""The orders list's row (orders.rows, written in Python for speed): its markup, cell by cell,
as the list and an htmx row swap show it, with every value escaped."""

import re
from datetime import UTC, datetime

import pytest
from django.test.html import parse_html
from django.urls import reverse

from orders import rows
from orders.models import OrderStatus
from orders.selectors import _decorate
from tests.factories import order_with_lines

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script> O\'Brien & Co'


def _row_html(response, number: int) -> str:
    match = re.search(rf'<tr id="order-{number}".*?</tr>', response.content.decode(), re.S)
    assert match, f"no row for order {number}"
    return match.group(0)


def _order(**fields):
    order = order_with_lines(
        lines=2,
        placed_at=datetime(2026, 3, 4, 15, 7, tzinfo=UTC),
        customer_email="anne@example.com",
        **fields,
    )
    return order


def test_a_row_shows_every_cell_and_the_status_menu(staff_client, staff_user):
    order = _order(customer_name="Anne Smith", risk_level="high")
    response = staff_client.get(reverse("orders:list"))
    row = _row_html(response, order.number)
    shown = _decorate([_listed(order)], user=staff_user)[0]
    url = reverse("orders:detail", kwargs={"number": order.number})
    options = "".join(
        _option(target, label, confirm) for target, label, confirm in shown.move_options
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', row).group(1)
    expected = f"""
    <tr id="order-{order.number}">
      <td class="check-col"><input type="checkbox" name="order" value="{order.number}"
          form="bulk-status" aria-label="Select order #{order.number}"></td>
      <td><a class="order-number" href="{url}">#{order.number}</a></td>
      <td class="nowrap"><time datetime="{shown.placed_iso}">{shown.placed_date}
          <span class="muted placed-time">{shown.placed_time}</span></time></td>
      <td class="col-channel"><span class="channel channel-online">Online</span></td>
      <td class="customer"><span class="customer-name">Anne Smith</span>
          <span class="customer-email muted">anne@example.com</span></td>
      <td class="num col-items">{shown.item_count}</td>
      <td class="num nowrap">{shown.total_label}</td>
      <td class="nowrap"><span class="badge status-pending">Pending</span>
          <span class="risk risk-high risk-small" title="Fraud review: high risk">High risk</span></td>
      <td class="actions-col"><form class="row-form" method="post" action="{url}status/"
          hx-post="{url}status/" hx-target="closest tr" hx-swap="outerHTML">
        <input type="hidden" name="csrfmiddlewaretoken" value="{token}">
        <input type="hidden" name="next" value="{reverse("orders:list")}">
        <input type="hidden" name="partial" value="row">
        <select name="to" required aria-label="New status for order #{order.number}">
          <option value="">Change…</option>{options}</select>
        <button type="submit" class="btn btn-small">Apply</button></form></td>
    </tr>"""
    assert shown.move_options, "a pending order offers moves"
    assert parse_html(row) == parse_html(expected)


def _option(target: str, label: str, confirm: str) -> str:
    asks = f' data-confirm="{confirm}"' if confirm else ""
    return f'<option value="{target}"{asks}>{label}</option>'


def _listed(order):
    from orders.selectors import _list_queryset

    return _list_queryset().get(pk=order.pk)


def test_every_value_in_a_row_is_escaped(staff_client):
    order = _order(customer_name=HOSTILE)
    order.customer_email = 'x"><img src=x>@example.com'
    order.save(update_fields=["customer_email"])
    row = _row_html(staff_client.get(reverse("orders:list")), order.number)
    assert "<script>" not in row and "<img" not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Brien &amp; Co" in row
    assert "x&quot;&gt;&lt;img src=x&gt;@example.com" in row


def test_a_row_for_someone_who_may_not_change_status_has_no_menu(staff_user):
    order = _decorate([_listed(_order(customer_name=""))], user=staff_user)[0]
    html = rows.order_row(order, can_change_status=False)
    assert 'type="checkbox"' not in html and "<form" not in html
    assert '<span class="muted">—</span>' in html
    assert '<span class="customer-name">—</span>' in html  # no name: a dash


def test_a_changed_row_and_a_row_whose_form_is_open(staff_user):
    order = _decorate([_listed(_order(customer_name="A"))], user=staff_user)[0]
    changed = rows.order_row(order, can_change_status=True, changed=True, form_open=True)
    assert changed.startswith(f'<tr id="order-{order.number}" class="row-changed">')
    assert "Fill in the form below…" in changed and "<select" not in changed
    order.is_new = True
    new = rows.order_row(order, can_change_status=True)
    assert 'class="row-new"' in new and '<span class="tag tag-new">New</span>' in new


def test_a_move_that_asks_first_carries_its_question(staff_user):
    order = _decorate(
        [_listed(_order(customer_name="A", status=OrderStatus.PAID))], user=staff_user
    )[0]
    html = rows.order_row(
        order, can_change_status=True, csrf_token="t", next_url="/orders/?a=1&b=2"
    )
    assert f'data-confirm="Cancel order #{order.number}? This cannot be undone."' in html
    assert 'name="next" value="/orders/?a=1&amp;b=2"' in html
