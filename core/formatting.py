"""Money and dates as the back office shows them, shared by templates and list rows."""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}


def money_label(value, currency: str = "") -> str:
    """`money_label(1234.5, "USD")` → "$1,234.50"; currencies without a symbol here get their code."""
    return money_formatter(currency)(value)


def money_formatter(currency: str = ""):
    """money_label for one currency, its settings read once: for tables of thousands of cells
    (the reports), where reading the settings per cell costs more than the formatting."""
    currency = (currency or settings.STORE_CURRENCY).upper()
    places = settings.STORE_CURRENCY_PLACES if currency == settings.STORE_CURRENCY else 2
    symbol = SYMBOLS.get(currency)

    def label(value) -> str:
        if value is None or (isinstance(value, str) and not value):
            return ""
        amount = value if isinstance(value, Decimal) else Decimal(value)
        text = f"{abs(amount):,.{places}f}"
        sign = "−" if amount < 0 else ""
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"

    return label


def short_datetime(value) -> tuple[str, str, str]:
    """("Nov 22, 2026", "12:08", ISO 8601) in the store's timezone."""
    local = timezone.localtime(value)
    return f"{local:%b} {local.day}, {local.year}", f"{local:%H:%M}", local.isoformat()
