"""The purchase orders list's filters (core.filters.ListFilterSet)."""

import re

import django_filters
from django.db.models import Q

from catalog.models import Vendor
from core.filters import ListFilterSet

from .models import PurchaseOrder

# "PO-5001", "po5001" or "5001": a PO number; "#100001": an order number.
PO_NUMBER = re.compile(r"^(?:PO\s*-?\s*)?0*(\d{1,18})$", re.IGNORECASE)
ORDER_NUMBER = re.compile(r"^#\s*(\d{1,18})$")


class PurchaseOrderFilter(ListFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Find", max_length=50)
    status = django_filters.ChoiceFilter(
        choices=PurchaseOrder.Status.choices, empty_label="Any status", label="Status"
    )
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), empty_label="Any vendor", label="Vendor"
    )
    owed = django_filters.BooleanFilter(
        method="filter_owed",
        label="Still owed",
        widget=django_filters.widgets.BooleanWidget(),
    )

    class Meta:
        model = PurchaseOrder
        fields = ["q", "status", "vendor", "owed"]

    def filter_q(self, queryset, name, value):
        """A PO number (PO-5001) or an order number (#100001)."""
        value = value.strip()
        order = ORDER_NUMBER.match(value)
        if order:
            return queryset.filter(order__number=int(order.group(1)))
        number = PO_NUMBER.match(value)
        if number:
            return queryset.filter(Q(number=int(number.group(1))))
        return queryset.none()

    def filter_owed(self, queryset, name, value):
        """Sent and not cancelled, with units the vendor has not shipped yet."""
        owing = [PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_SHIPPED]
        return queryset.filter(status__in=owing) if value else queryset.exclude(status__in=owing)
