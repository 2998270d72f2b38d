import re

import django_filters
from django import forms

from .models import Channel, Order, OrderStatus

ORDER_NUMBER = re.compile(r"^#?\s*(\d{1,18})$")


def order_number_in(text: str) -> int | None:
    """The order number typed into the lookup box ("1042" or "#1042"), if that is what it is."""
    match = ORDER_NUMBER.match((text or "").strip())
    return int(match.group(1)) if match else None


class OrderIdFilter(django_filters.NumberFilter):
    """An order id (a whole number in the id column's range), not NumberFilter's decimal."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices, empty_label="Any status")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel")
    q = django_filters.CharFilter(method="filter_q", label="Find")
    # The orders that arrived after order id N: where the new-orders badge links, with the
    # user's mark at the time, so the page keeps showing the same orders once they are seen.
    arrived_after = OrderIdFilter(field_name="id", lookup_expr="gt")

    class Meta:
        model = Order
        fields = ["status", "channel"]

    def filter_q(self, queryset, name, value):
        """An order number, a customer's email (whole), or the start of a customer's name.

        Both are case-insensitive and served by the UPPER() expression indexes on the order.
        """
        value = value.strip()
        if not value:
            return queryset
        number = order_number_in(value)
        if number is not None:
            return queryset.filter(number=number)
        if "@" in value:
            return queryset.filter(customer_email__iexact=value)
        return queryset.filter(customer_name__istartswith=value)

    @property
    def active(self) -> dict:
        """The filters that are set and valid; an invalid one is ignored, not an error page."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {name: value for name, value in self.form.cleaned_data.items() if value}

    @property
    def searched_number(self) -> int | None:
        return order_number_in(self.active.get("q", ""))
