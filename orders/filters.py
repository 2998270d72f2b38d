import operator
import re
from functools import reduce

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q
from django.http import QueryDict

from core.filters import DateRangeForm, ListFilterSet

from . import list_conditions
from .dates import end_of_day, start_of_day
from .models import Channel, Order, OrderStatus, PaymentState, RiskLevel

ORDER_NUMBER = re.compile(r"^#?\s*(\d{1,18})$")
# The largest order number there can be (the column is a bigint).
NUMBER_MAX = 2**63 - 1
# Letters and digits: anything else separates the words typed, as it separates the words of a
# customer's name and email (orders.models.customer_words).
WORD = re.compile(r"[^\W_]+")
SEARCH_WORDS = 5  # the first words typed count; a search of more is no narrower in practice


def order_number_in(text: str) -> int | None:
    """The order number typed into the lookup box ("1042" or "#1042"), if that is what it is."""
    match = ORDER_NUMBER.match((text or "").strip())
    return int(match.group(1)) if match else None


def number_prefix_ranges(prefix: int) -> list[tuple[int, int]]:
    """The numbers that start with the digits of `prefix`, as ranges of the number itself:
    104 is 104, 1040–1049, 10400–10499, … up to the largest bigint; the largest range last.

    Each range is one range scan of the number's unique index, so no index on number::text
    is needed; the list reads them one by one (orders.selectors._first_rows)."""
    ranges, scale = [], 1
    while 0 < prefix * scale <= NUMBER_MAX:
        ranges.append((prefix * scale, min((prefix + 1) * scale - 1, NUMBER_MAX)))
        scale *= 10
    return ranges


def words_prefix_query(text: str) -> SearchQuery | None:
    """A text search query for the rows with a word starting with each word of `text`
    ("smi an" finds "Anne Smith"), or None when `text` has no word."""
    words = WORD.findall(text.lower())[:SEARCH_WORDS]
    if not words:
        return None
    # Raw tsquery syntax built from letters and digits only: nothing typed is an operator.
    return SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config="simple"
    )


def number_prefix_q(prefix: int) -> Q:
    """Orders whose number starts with the digits of `prefix` (none for 0: no number does)."""
    ranges = number_prefix_ranges(prefix)
    if not ranges:
        return Q(pk__in=[])
    return reduce(operator.or_, (Q(number__range=bounds) for bounds in ranges))


class OrderFilterForm(DateRangeForm):
    date_range = ("placed_from", "placed_to")


class OrderIdFilter(django_filters.NumberFilter):
    """An order id (a whole number in the id column's range), not NumberFilter's decimal."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def _choice(choices, empty_label: str, label: str, **kwargs) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=choices,
        empty_label=empty_label,
        label=label,
        error_messages={"invalid_choice": "“%(value)s” is not one of the choices."},
        **kwargs,
    )


class OrderFilter(ListFilterSet):
    """The order list's filters, all in the URL and combinable. Each combination is served by
    an index of the order (see Order.Meta.indexes)."""

    status = _choice(OrderStatus.choices, "Any status", "Status")
    payment = _choice(PaymentState.choices, "Any payment", "Payment", field_name="payment_state")
    channel = _choice(Channel.choices, "Any channel", "Channel")
    risk = _choice(RiskLevel.choices, "Any risk", "Risk", field_name="risk_level")
    placed_from = django_filters.DateFilter(method="filter_placed", label="Placed from")
    placed_to = django_filters.DateFilter(method="filter_placed", label="Placed to")
    q = django_filters.CharFilter(method="filter_q", label="Find")
    # The orders that arrived after order id N: where the new-orders badge links, with the
    # user's mark at the time, so the page keeps showing the same orders once they are seen.
    arrived_after = OrderIdFilter(field_name="id", lookup_expr="gt")

    class Meta:
        model = Order
        fields = ["status", "channel"]
        form = OrderFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The conditions apps above orders registered (orders.list_conditions): added per
        # instance, as they are registered after this class is defined.
        for condition in list_conditions.conditions():
            added = _choice(
                [(list_conditions.SET, condition.label)],
                condition.empty_label,
                condition.label,
                field_name=condition.name,  # what filter_condition is told
                method="filter_condition",
            )
            added.model, added.parent = Order, self
            self.filters[condition.name] = added

    @property
    def conditions(self) -> list[dict]:
        """The registered conditions as the filter bar offers them, each with whether it is set."""
        active = self.active
        return [
            {
                "name": condition.name,
                "label": condition.label,
                "empty_label": condition.empty_label,
                "value": list_conditions.SET,
                "selected": active.get(condition.name) == list_conditions.SET,
            }
            for condition in list_conditions.conditions()
        ]

    @property
    def conditions_set(self) -> bool:
        return any(condition["selected"] for condition in self.conditions)

    @property
    def query_without_conditions(self) -> QueryDict:
        """The URL's query without the registered conditions: where "Clear filters" starts."""
        kept = QueryDict(mutable=True)
        names = {condition.name for condition in list_conditions.conditions()}
        for key, values in self.data.lists():
            if key not in names:
                kept.setlist(key, values)
        return kept

    def filter_condition(self, queryset, name, value):
        condition = next((c for c in list_conditions.conditions() if c.name == name), None)
        if condition is None or value != list_conditions.SET:
            return queryset
        return queryset.filter(condition.q())

    def filter_q(self, queryset, name, value):
        """An order number's first digits, a customer's email (whole, or its start with the
        "@"), or the start of words of the customer's name or email local part: "smith" and
        "anne sm" find "Anne Smith" and anne.smith@…, "mith" does not. (The list opens an
        order whose whole number was typed.)

        Case-insensitive; emails are served by the UPPER() text_pattern_ops index on the
        order, words by its GIN index of the customer's words (order_customer_words_idx),
        numbers by the number's unique index (number_prefix_q).
        """
        value = value.strip()
        if not value:
            return queryset
        number = order_number_in(value)
        if number is not None:
            return queryset.filter(number_prefix_q(number))
        if "@" in value:
            return queryset.filter(customer_email__istartswith=value)
        query = words_prefix_query(value)
        if query is None:
            return queryset.none()
        return queryset.filter(customer_words=query)

    def filter_placed(self, queryset, name, value):
        """Placed on or after the start date, on or before the end date: whole days in the
        store's timezone (TIME_ZONE), whatever the server's."""
        if name == "placed_from":
            return queryset.filter(placed_at__gte=start_of_day(value))
        return queryset.filter(placed_at__lt=end_of_day(value))

    @property
    def searched_number(self) -> int | None:
        return order_number_in(self.active.get("q", ""))

    @property
    def searches_words(self) -> bool:
        """Whether the search is for words of the customer's name or email (not a number,
        not an email address): filter_q's text search."""
        value = self.active.get("q", "").strip()
        return bool(value) and self.searched_number is None and "@" not in value
