"""The product page's tables (django-tables2): columns and cells only; rows come from
catalog.selectors.product_detail."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.formatting import money_label

NUM = {"th": {"class": "num", "scope": "col"}, "td": {"class": "num nowrap"}}


class VariantTable(tables.Table):
    sku = tables.Column(verbose_name="SKU", attrs={"td": {"class": "mono nowrap"}})
    options = tables.Column(verbose_name="Options", accessor="options_label")
    price = tables.Column(verbose_name="Price", attrs=NUM)
    cost_price = tables.Column(verbose_name="Cost", attrs=NUM)
    stock = tables.Column(verbose_name="Stock on hand", attrs=NUM)
    units_sold = tables.Column(verbose_name="Units sold", attrs=NUM)
    backordered = tables.Column(verbose_name="Backordered", attrs=NUM)

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid variants-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"variant-{record.sku}"}

    def render_price(self, value):
        return money_label(value)

    def render_cost_price(self, value):
        return money_label(value)

    def render_stock(self, record, value):
        if not record.track_stock:
            return mark_safe('<span class="muted" title="Stock is not tracked">—</span>')
        return value


class VendorTable(tables.Table):
    vendor = tables.Column(verbose_name="Vendor", accessor="vendor__name")
    vendor_sku = tables.Column(verbose_name="Vendor SKU", attrs={"td": {"class": "mono nowrap"}})
    cost = tables.Column(verbose_name="Cost", attrs=NUM)

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid vendors-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"vendor-{record.vendor_id}"}

    def render_cost(self, value):
        return money_label(value)

    def render_vendor(self, record, value):
        default = (
            mark_safe('<span class="tag tag-default">Default</span>') if record.is_default else ""
        )
        inactive = (
            mark_safe('<span class="tag">Inactive</span>') if not record.vendor.is_active else ""
        )
        return format_html("{}{}{}", value, default, inactive)
