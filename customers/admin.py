from django.contrib import admin

from core.admin import SettingsAdmin

from .models import Address, CustomerSettings, Profile


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "member_ref", "created_at"]
    search_fields = ["first_name", "last_name", "email", "company", "member_ref"]
    inlines = [AddressInline]


@admin.register(CustomerSettings)
class CustomerSettingsAdmin(SettingsAdmin):
    autocomplete_fields = ["anonymous_profile"]
