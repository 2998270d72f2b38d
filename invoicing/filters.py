"""The invoice list's filters: what the URL may say, validated (core.filters.ListFilterSet)."""

import re

import django_filters

from core.filters import DateRangeForm, ListFilterSet
from orders.dates import end_of_day, start_of_day

from .models import Invoice

# "INV-000123", "CN-124", "#123" or "123": the invoice's number.
INVOICE_NUMBER = re.compile(r"^(?:(?:INV|CN)\s*-?\s*|#)?0*(\d{1,18})$", re.IGNORECASE)


def invoice_number_in(text: str) -> int | None:
    match = INVOICE_NUMBER.match((text or "").strip())
    return int(match.group(1)) if match else None


class InvoiceFilterForm(DateRangeForm):
    date_range = ("date_from", "date_to")


class InvoiceFilter(ListFilterSet):
    """Status, kind, issue dates (whole days in the store's timezone, both included) and an
    invoice number or a customer typed into Find."""

    q = django_filters.CharFilter(method="filter_q", label="Find", max_length=200)
    status = django_filters.ChoiceFilter(
        choices=Invoice.Status.choices, empty_label="Any status", label="Status"
    )
    kind = django_filters.ChoiceFilter(
        choices=Invoice.Kind.choices, empty_label="Invoices and credit notes", label="Kind"
    )
    date_from = django_filters.DateFilter(method="filter_issued_from", label="Issued from")
    date_to = django_filters.DateFilter(method="filter_issued_to", label="Issued to")

    class Meta:
        model = Invoice
        fields = ["q", "status", "kind", "date_from", "date_to"]
        form = InvoiceFilterForm

    def filter_issued_from(self, queryset, name, value):
        return queryset.filter(issued_at__gte=start_of_day(value))

    def filter_issued_to(self, queryset, name, value):
        return queryset.filter(issued_at__lt=end_of_day(value))

    def filter_q(self, queryset, name, value):
        """A whole invoice number, a whole email, or the start of the customer's name."""
        value = value.strip()
        if not value:
            return queryset
        number = invoice_number_in(value)
        if number is not None:
            return queryset.filter(number=number)
        if "@" in value:
            return queryset.filter(customer_email__iexact=value)
        return queryset.filter(customer_name__istartswith=value)
