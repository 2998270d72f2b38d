from django.contrib import admin

from core.admin import ReadOnlyAdmin, SettingsAdmin

from .models import Gateway, GatewayNotification, Payment, PaymentAttempt, PaymentSettings


@admin.register(Gateway)
class GatewayAdmin(ReadOnlyAdmin):
    """Gateways are set up on Settings → Payment gateways, which encrypts the credentials;
    here they are listed, never shown (not even encrypted)."""

    list_display = ["name", "kind", "mode", "is_active", "updated_at"]
    fields = ["name", "kind", "mode", "is_active", "created_at", "updated_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "order",
        "method",
        "status",
        "amount",
        "currency",
        "authorization_code",
        "created_at",
    ]
    list_filter = ["method", "status"]
    search_fields = ["=order__number", "authorization_code", "reference", "transaction_id"]
    list_select_related = ["order"]
    show_full_result_count = False


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ["order", "outcome", "amount", "decline_code", "gateway", "created_at"]
    list_filter = ["outcome"]
    search_fields = ["=order__number", "transaction_id"]
    list_select_related = ["order", "gateway"]
    show_full_result_count = False


@admin.register(GatewayNotification)
class GatewayNotificationAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "event_type", "gateway", "order", "outcome", "received_at"]
    list_filter = ["outcome", "event_type"]
    search_fields = ["event_id", "=order__number"]
    list_select_related = ["order", "gateway"]
    show_full_result_count = False


admin.site.register(PaymentSettings, SettingsAdmin)
