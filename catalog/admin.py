from django import forms
from django.contrib import admin, messages
from django.db import transaction

from core.admin import ReadOnlyAdmin, SettingsAdmin

from .models import (
    CatalogSettings,
    DigitalFile,
    Product,
    ProductVendor,
    SerialCode,
    StockMovement,
    Variant,
    Vendor,
)
from .services import CatalogError, serial_code_return_to_pool, stock_adjust


class VariantForm(forms.ModelForm):
    """Stock is never typed over: admins enter a change, booked through the stock ledger."""

    stock_change = forms.IntegerField(
        required=False,
        help_text="Add (e.g. 25 for a delivery) or remove (e.g. -2 for damaged) units.",
    )
    stock_change_reason = forms.ChoiceField(
        required=False,
        choices=[
            (StockMovement.Reason.RECEIPT, StockMovement.Reason.RECEIPT.label),
            (StockMovement.Reason.ADJUSTMENT, StockMovement.Reason.ADJUSTMENT.label),
        ],
    )

    class Meta:
        model = Variant
        fields = ["product", "sku", "options", "price", "cost_price", "track_stock"]

    def clean_stock_change(self):
        change = self.cleaned_data.get("stock_change") or 0
        on_hand = self.instance.stock if self.instance.pk else 0
        if on_hand + change < 0:
            raise forms.ValidationError(
                f"Only {on_hand} on hand: cannot remove {-change}.", code="negative_stock"
            )
        return change


class VariantInline(admin.TabularInline):
    model = Variant
    fields = ["sku", "options", "price", "cost_price", "stock", "units_sold", "track_stock"]
    readonly_fields = ["stock", "units_sold"]
    extra = 0
    show_change_link = True


class ProductVendorInline(admin.TabularInline):
    model = ProductVendor
    extra = 0
    autocomplete_fields = ["vendor"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "is_shippable", "is_active", "created_at"]
    list_filter = ["is_shippable", "is_active"]
    search_fields = ["name", "variants__sku"]
    inlines = [VariantInline, ProductVendorInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    form = VariantForm
    list_display = ["sku", "product", "price", "cost_price", "stock", "backordered", "units_sold"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__name"]
    readonly_fields = ["stock", "backordered", "units_sold"]
    autocomplete_fields = ["product"]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        delta = form.cleaned_data.get("stock_change")
        if delta:
            reason = form.cleaned_data.get("stock_change_reason") or StockMovement.Reason.ADJUSTMENT
            try:
                stock_adjust(
                    variant_id=obj.pk,
                    delta=delta,
                    reason=reason,
                    reference="admin",
                    actor=request.user,
                )
            except CatalogError as exc:
                messages.error(request, str(exc))
                transaction.set_rollback(True)
            else:
                obj.refresh_from_db(fields=["stock"])


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "po_method", "is_active"]
    search_fields = ["name", "email"]
    # The SFTP secret is set (encrypted) in Settings → Vendors and never shown back; the EDI
    # counter and host keys change only through purchasing.
    exclude = ["sftp_secret"]
    readonly_fields = ["edi_control_number", "sftp_host_key", "sftp_host_key_seen"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "variant", "delta", "stock_after", "reason", "reference", "actor"]
    list_filter = ["reason"]
    list_select_related = ["variant__product", "actor"]
    search_fields = ["variant__sku", "reference"]


@admin.register(SerialCode)
class SerialCodeAdmin(admin.ModelAdmin):
    """A variant's codes (filter by SKU): available, assigned to an order, or retired (a sale
    since rolled back held it). A store admin may return a retired code that no email carried."""

    list_display = [
        "code",
        "variant",
        "status",
        "allocation_reference",
        "allocated_at",
        "delivered_at",
        "retired_at",
        "retired_by",
    ]
    list_filter = ["status", ("delivered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["variant__product", "retired_by"]
    search_fields = ["code", "variant__sku", "allocation_reference"]
    readonly_fields = [
        "status",
        "allocated_at",
        "allocation_reference",
        "delivered_at",
        "retired_at",
        "retired_by",
        "returned_at",
        "returned_by",
    ]
    autocomplete_fields = ["variant"]
    actions = ["return_to_pool"]

    def has_return_permission(self, request) -> bool:
        return request.user.has_perm("catalog.return_serialcode")

    @admin.action(
        description="Return retired, never-delivered codes to the pool",
        permissions=["return"],
    )
    def return_to_pool(self, request, queryset):
        returned, refused = [], []
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                with transaction.atomic():
                    returned.append(serial_code_return_to_pool(code_id=pk, actor=request.user))
            except CatalogError as exc:
                refused.append(str(exc))
        if returned:
            codes = ", ".join(code.code for code in returned)
            self.message_user(request, f"Returned to the pool: {codes}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


@admin.register(DigitalFile)
class DigitalFileAdmin(admin.ModelAdmin):
    list_display = ["title", "variant", "created_at"]
    autocomplete_fields = ["variant"]


admin.site.register(CatalogSettings, SettingsAdmin)
