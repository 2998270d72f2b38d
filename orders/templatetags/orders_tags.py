from types import SimpleNamespace

from django import template
from django.utils.html import format_html

from core import formatting
from orders import rows
from orders.grid import rows as grid_rows
from orders.selectors import saved_view_query, saved_views_for

register = template.Library()

# The sort a column header switches to first: numbers and dates newest/largest first.
FIRST_DIRECTION = {
    "placed_at": "-placed_at",
    "number": "-number",
    "total": "-total",
    "quantity": "-quantity",
}


# `1234.5|money:"USD"` → "$1,234.50": templates keep the short name.
register.filter("money", formatting.money_label)


@register.filter
def masked(secret: str, visible: int = 4) -> str:
    """A secret shown by its last few characters only: "••••1a2b"."""
    if not secret:
        return ""
    if len(secret) <= visible * 2:
        return "•" * 8
    return "•" * 8 + secret[-visible:]


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, current: str):
    """A column header that sorts the list by `key`, and reverses it on a second click."""
    if current == key:
        target, arrow, state = f"-{key}", "▲", "ascending"
    elif current == f"-{key}":
        target, arrow, state = key, "▼", "descending"
    else:
        target, arrow, state = FIRST_DIRECTION.get(key, key), "", "none"
    params = context["request"].GET.copy()
    params["sort"] = target
    for name in ("after", "before"):
        params.pop(name, None)
    return format_html(
        '<a class="sort" href="?{}" data-sort="{}">{}<span class="arrow">{}</span></a>',
        params.urlencode(),
        state,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def saved_views(context, page: str):
    """`{% saved_views "orders" as saved %}`: the user's saved views of a list (their own and
    the shared ones) for its tabs: `saved.views`, `saved.active` (one is open now) and
    `saved.query` (the list's current filters, to save)."""
    request = context["request"]
    query = request.GET.urlencode()
    views = saved_views_for(user=request.user, page=page, query=query)
    return SimpleNamespace(
        views=views,
        active=any(view.active for view in views),
        query=saved_view_query(query),
        page=page,
    )


@register.simple_tag(takes_context=True)
def order_row(context, order):
    """`{% order_row order %}`: the orders list's row (orders.rows), with the page's status
    menu settings: whether the user may change status, the CSRF token and where to come back,
    and the states an htmx swap gives it (`changed`, `form_open`)."""
    return rows.order_row(
        order,
        can_change_status=bool(context.get("can_change_status")),
        csrf_token=str(context.get("csrf_token", "")),
        next_url=context.get("next_url", ""),
        changed=bool(context.get("changed")),
        form_open=bool(context.get("form_open")),
    )


@register.simple_tag(takes_context=True)
def grid_row(context, row):
    """`{% grid_row row %}`: the transactions grid's row (orders.grid.rows), with a tick box
    where the page offers bulk actions."""
    return grid_rows.grid_row(row, selectable=bool(context.get("actions")))
