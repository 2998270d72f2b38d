"""The transactions grid's filters: what the URL may say, validated. A value that does not
validate is dropped (the page says which and why); the others still apply."""

import django_filters
from django import forms

from core.filters import DateRangeForm, ListFilterSet

from ..dates import end_of_day, start_of_day
from ..models import Channel, OrderLine, OrderStatus


class LineFilterForm(DateRangeForm):
    date_range = ("start", "end")


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number, not NumberFilter's decimal ("12.5" is not a product)."""

    field_class = forms.IntegerField


class LineFilter(ListFilterSet):
    """Dates are whole days in the store's timezone, both inclusive. `date_fields` (given when
    the filter set is made) says which columns they bound: the line's copy of placed_at, or
    the order's when the query walks the orders' indexes (see orders.grid.selectors)."""

    start = django_filters.DateFilter(method="filter_start", label="From")
    end = django_filters.DateFilter(method="filter_end", label="To")
    # A product id, which the type-ahead fills in; the item's name is only shown.
    item = WholeNumberFilter(
        field_name="product_id", min_value=1, max_value=2**63 - 1, label="Item"
    )
    status = django_filters.ChoiceFilter(
        field_name="order__status",
        choices=OrderStatus.choices,
        empty_label="Any status",
        label="Status",
    )
    channel = django_filters.ChoiceFilter(
        field_name="order__channel",
        choices=Channel.choices,
        empty_label="Any channel",
        label="Channel",
    )

    date_fields = ("placed_at",)

    class Meta:
        model = OrderLine
        fields = ["start", "end", "item", "status", "channel"]
        form = LineFilterForm

    def __init__(self, *args, date_fields: tuple[str, ...] = date_fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.date_fields = date_fields

    def filter_start(self, queryset, name, value):
        return queryset.filter(**{f"{f}__gte": start_of_day(value) for f in self.date_fields})

    def filter_end(self, queryset, name, value):
        end = end_of_day(value)
        return queryset.filter(**{f"{f}__lt": end for f in self.date_fields})
