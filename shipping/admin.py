from django.contrib import admin

from core.admin import SettingsAdmin

from .carriers import KNOWN_CARRIERS
from .models import Carrier, ShippingMethod, ShippingSettings


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "number_check", "is_active", "tracking_url_template"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request, obj=None):
        # A built-in carrier's code is what selects its tracking-number check.
        return ["code"] if obj is not None and obj.code in KNOWN_CARRIERS else []

    def get_prepopulated_fields(self, request, obj=None):
        return {"code": ["name"]} if obj is None else {}


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "carrier",
        "transit_time",
        "price",
        "free_from_subtotal",
        "is_active",
        "position",
    ]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "carrier"]
    list_select_related = ["carrier"]
    search_fields = ["name"]
    autocomplete_fields = ["carrier"]
    fieldsets = [
        (None, {"fields": ["name", "carrier", "is_active", "position"]}),
        ("Speed", {"fields": ["speed", ("days_min", "days_max")]}),
        ("Price", {"fields": ["price", "free_from_subtotal"]}),
    ]


admin.site.register(ShippingSettings, SettingsAdmin)
