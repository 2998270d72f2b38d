from django.contrib import admin

from core.admin import ReadOnlyAdmin, SettingsAdmin

from .models import EmailSettings, OutboxMessage

admin.site.register(EmailSettings, SettingsAdmin)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: the outbox changes only through its services (retry from the order page)."""

    list_display = ["id", "order", "kind", "to_email", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "message_id", "order__number"]
