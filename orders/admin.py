from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Order, OrderEvent, OrderLine


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "unit_price", "total", "fulfilment_status"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "kind", "from_status", "to_status", "message", "actor", "actor_label"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """For inspection only: orders change through the order desk, where the status machine
    and its effects apply."""

    list_display = ["number", "placed_at", "channel", "status", "customer_email", "total"]
    list_filter = ["status", "channel"]
    search_fields = ["=number", "customer_email"]
    show_full_result_count = False
    inlines = [OrderLineInline, OrderEventInline]
