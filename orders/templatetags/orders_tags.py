from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}
# The sort a column header switches to first: numbers and dates newest/largest first.
FIRST_DIRECTION = {"placed_at": "-placed_at", "number": "-number", "total": "-total"}


@register.filter
def money(value, currency: str = "") -> str:
    """`1234.5|money:"USD"` → "$1,234.50"; currencies without a symbol here get their code."""
    if value in (None, ""):
        return ""
    currency = (currency or settings.STORE_CURRENCY).upper()
    places = settings.STORE_CURRENCY_PLACES if currency == settings.STORE_CURRENCY else 2
    amount = Decimal(value)
    text = f"{abs(amount):,.{places}f}"
    sign = "−" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


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
