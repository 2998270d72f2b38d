"""Settings → Promotions, a promotion's uses and Tax rates as django-tables2 Tables (cells
only; rows come from promotions.selectors)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.formatting import money_label, short_datetime

from .models import Promotion


def _when(value) -> str:
    if value is None:
        return "—"
    day, time, iso = short_datetime(value)
    return format_html('<time datetime="{}">{} {}</time>', iso, day, time)


def promotion_state(promotion: Promotion, now) -> tuple[str, str]:
    """(css suffix, label) of what the promotion is now."""
    if not promotion.is_active:
        return "off", "Switched off"
    if promotion.starts_at and now < promotion.starts_at:
        return "scheduled", "Not started"
    if promotion.ends_at and now >= promotion.ends_at:
        return "ended", "Ended"
    if promotion.usage_limit is not None and promotion.uses >= promotion.usage_limit:
        return "used-up", "Used up"
    return "usable", "Usable"


def discount_label(promotion: Promotion) -> str:
    if promotion.kind == Promotion.Kind.FREE_SHIPPING:
        text = "Free shipping"
    elif promotion.kind == Promotion.Kind.PRODUCT:
        text = "Adds its own items"
    elif promotion.discount_type == Promotion.DiscountType.PERCENT:
        text = f"{promotion.amount.normalize():f}% off"
    else:
        per = " per unit" if promotion.kind == Promotion.Kind.ITEM_CODE else ""
        text = f"{money_label(promotion.amount)} off{per}"
    if promotion.minimum_subtotal is not None:
        text += f", from {money_label(promotion.minimum_subtotal)}"
    return text


class PromotionTable(tables.Table):
    name = tables.Column(verbose_name="Promotion")
    code = tables.Column(verbose_name="Code", attrs={"td": {"class": "mono"}})
    kind = tables.Column(verbose_name="Kind")
    amount = tables.Column(verbose_name="Discount", empty_values=())
    starts_at = tables.Column(verbose_name="Dates", empty_values=())
    uses = tables.Column(
        verbose_name="Uses", attrs={"th": {"class": "num"}, "td": {"class": "num nowrap"}}
    )
    is_active = tables.Column(verbose_name="State", empty_values=())

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid promotions-grid", "th": {"scope": "col"}}
        row_attrs = {"id": lambda record: f"promotion-{record.pk}"}

    def __init__(self, *args, can_edit: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_edit = can_edit
        self.now = timezone.now()

    def render_name(self, record):
        url = (
            record.get_absolute_url()
            if self.can_edit
            else reverse("promotions:uses", args=[record.pk])
        )
        return format_html('<a href="{}"><strong>{}</strong></a>', url, record.name)

    def render_code(self, value):
        return value.upper() if value else format_html('<span class="muted">{}</span>', "picked")

    def render_kind(self, record):
        return record.get_kind_display()

    def render_amount(self, record):
        return discount_label(record)

    def render_starts_at(self, record):
        if not record.starts_at and not record.ends_at:
            return "Always"
        return format_html("{} – {}", _when(record.starts_at), _when(record.ends_at))

    def render_uses(self, record):
        limit = f" of {record.usage_limit}" if record.usage_limit is not None else ""
        each = (
            f", {record.per_customer_limit} each" if record.per_customer_limit is not None else ""
        )
        return format_html(
            '<a href="{}">{}{}{}</a>',
            reverse("promotions:uses", args=[record.pk]),
            record.uses,
            limit,
            each,
        )

    def render_is_active(self, record):
        css, label = promotion_state(record, self.now)
        return format_html('<span class="tag promotion-{}">{}</span>', css, label)


class CodeUseTable(tables.Table):
    used_at = tables.Column(verbose_name="Used")
    order_id = tables.Column(verbose_name="Order")
    customer_id = tables.Column(verbose_name="Customer")
    released_at = tables.Column(verbose_name="Given back", empty_values=())

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid code-uses-grid", "th": {"scope": "col"}}
        row_attrs = {"class": lambda record: "row-muted" if record.released_at else ""}
        empty_text = "Not used yet."

    def render_used_at(self, value):
        return _when(value)

    def render_order_id(self, record):
        number = getattr(record, "order_number", None)
        if number is None:
            return f"id {record.order_id}"
        return format_html('<a href="{}">#{}</a>', reverse("orders:detail", args=[number]), number)

    def render_customer_id(self, record):
        name = getattr(record, "customer_name", None)
        if record.customer_id is None:
            return format_html('<span class="muted">{}</span>', "None")
        return name or f"Contact {record.customer_id}"

    def render_released_at(self, value):
        return _when(value) if value else ""


class TaxRateTable(tables.Table):
    country = tables.Column(verbose_name="Country")
    region = tables.Column(verbose_name="Region", empty_values=())
    rate = tables.Column(
        verbose_name="Rate", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    name = tables.Column(verbose_name="Name")

    class Meta:
        orderable = False
        template_name = "tables/table.html"
        attrs = {"class": "grid tax-rates-grid", "th": {"scope": "col"}}
        empty_text = "No tax rates yet: orders are not taxed."

    def __init__(self, *args, can_edit: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_edit = can_edit

    def render_country(self, record):
        if not self.can_edit:
            return record.country
        return format_html(
            '<a href="{}"><strong>{}</strong></a>',
            reverse("promotions:tax_rate_edit", args=[record.pk]),
            record.country,
        )

    def render_region(self, value):
        return value or format_html('<span class="muted">{}</span>', "Whole country")

    def render_rate(self, value):
        return f"{value.normalize():f}%"
