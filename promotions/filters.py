"""The promotions list's filters (core.filters.ListFilterSet)."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from core.filters import ListFilterSet

from .models import Promotion

STATES = [
    ("usable", "Usable now"),
    ("scheduled", "Not started yet"),
    ("ended", "Ended"),
    ("off", "Switched off"),
    ("used_up", "Used up"),
]


class PromotionFilter(ListFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Find", max_length=40)
    kind = django_filters.ChoiceFilter(
        choices=Promotion.Kind.choices, empty_label="Any kind", label="Kind"
    )
    state = django_filters.ChoiceFilter(
        choices=STATES, empty_label="Any state", label="State", method="filter_state"
    )

    class Meta:
        model = Promotion
        fields = ["q", "kind", "state"]

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def filter_q(self, queryset, name, value):
        """A code (any case, from its start) or a word of the name."""
        value = value.strip()
        return queryset.filter(Q(code__istartswith=value) | Q(name__icontains=value))

    def filter_state(self, queryset, name, value):
        if value == "usable":
            return queryset.usable(self.now)
        if value == "scheduled":
            return queryset.scheduled(self.now)
        if value == "ended":
            return queryset.ended(self.now)
        if value == "off":
            return queryset.filter(is_active=False)
        return queryset.used_up()
