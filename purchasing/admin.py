from django.contrib import admin

from core.admin import SettingsAdmin

from .models import PurchasingSettings

admin.site.register(PurchasingSettings, SettingsAdmin)
