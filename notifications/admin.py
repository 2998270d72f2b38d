from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox changes only through its services (retry from the order page)."""

    list_display = ["id", "order", "kind", "to_email", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "message_id", "order__number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
