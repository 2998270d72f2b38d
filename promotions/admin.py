"""The Django admin's fallback view of promotions (Settings → Promotions is the way): uses and
their counter change only through promotions.services, so they are read-only here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, SettingsAdmin

from .models import CodeUse, Promotion, PromotionItem, TaxRate, TaxSettings


class PromotionItemInline(admin.TabularInline):
    model = PromotionItem
    extra = 0
    autocomplete_fields = ["variant"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "amount", "is_active", "uses", "usage_limit"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["uses", "created_at", "updated_at"]
    autocomplete_fields = ["products", "variants"]
    inlines = [PromotionItemInline]


@admin.register(CodeUse)
class CodeUseAdmin(ReadOnlyAdmin):
    list_display = ["promotion", "code", "order_id", "customer_id", "used_at", "released_at"]
    list_select_related = ["promotion"]
    search_fields = ["code"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["country", "region", "rate", "name"]
    search_fields = ["country", "region", "name"]


admin.site.register(TaxSettings, SettingsAdmin)
