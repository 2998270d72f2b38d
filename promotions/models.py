"""Promotions (codes and product promotions), their uses, and tax rates.

One `Promotion` row per promotion of any kind; `code` is what staff type (blank only for a
product promotion picked from the list). Orders are referenced by plain integer id: this app
sits below `orders` and may not import it.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from catalog.models import MONEY, Product, Variant
from core.models import StoreSettings


class PromotionQuerySet(models.QuerySet):
    def usable(self, now):
        """Active, within dates, with uses left (a per-customer limit aside)."""
        return self.filter(
            Q(is_active=True),
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            Q(usage_limit__isnull=True) | Q(uses__lt=F("usage_limit")),
        )

    def scheduled(self, now):
        return self.filter(is_active=True, starts_at__gt=now)

    def ended(self, now):
        return self.filter(ends_at__lte=now)

    def used_up(self):
        return self.filter(usage_limit__isnull=False, uses__gte=F("usage_limit"))


class Promotion(models.Model):
    class Kind(models.TextChoices):
        ITEM_CODE = "item_code", "Item promo code"
        PRODUCT = "product", "Product promotion"
        ORDER_CODE = "order_code", "Order promo code"
        FREE_SHIPPING = "free_shipping", "Free-shipping code"

    class DiscountType(models.TextChoices):
        PERCENT = "percent", "Percent off"
        FIXED = "fixed", "Fixed amount off"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, help_text="As staff and the order show it.")
    code = models.CharField(
        max_length=40,
        blank=True,
        help_text="What staff type, any case. Optional for a product promotion.",
    )
    discount_type = models.CharField(
        max_length=10, choices=DiscountType.choices, default=DiscountType.PERCENT, blank=True
    )
    # Percent (0-100) or money per unit (item codes) / off the subtotal (order codes).
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    minimum_subtotal = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Order and free-shipping codes: the items' subtotal must reach it.",
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Uses in total. Empty: no limit."
    )
    per_customer_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Uses per customer. Empty: no limit."
    )
    # Changes only through promotions.services, in the database (a guarded UPDATE).
    uses = models.PositiveIntegerField(default=0)
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    variants = models.ManyToManyField(Variant, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"), condition=~Q(code=""), name="promotion_code_unique_ci"
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(uses__lte=F("usage_limit")),
                name="promotion_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="promotion_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(discount_type="percent") | Q(amount__lte=100),
                name="promotion_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="promotion_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind="product") | ~Q(code=""), name="promotion_code_required"
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_active"], name="promotion_kind_active_idx")]

    def __str__(self):
        return f"{self.code} · {self.name}" if self.code else self.name

    def get_absolute_url(self):
        return reverse("promotions:edit", args=[self.pk])

    @property
    def label(self) -> str:
        return self.code.upper() if self.code else self.name


class PromotionItem(models.Model):
    """A line a product promotion adds: this variant, this many, this much off each unit."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_discount = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "variant"], name="promotion_item_variant_once"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="promotion_item_quantity"),
            models.CheckConstraint(
                condition=Q(unit_discount__gte=0), name="promotion_item_discount_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class CodeUse(models.Model):
    """One use of a promotion by a placed order; `released_at` is set when the order was
    cancelled before it was paid and the use given back."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="code_uses")
    code = models.CharField(max_length=40, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    order_id = models.BigIntegerField()
    used_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "order_id"], name="code_use_once_per_order"
            )
        ]
        indexes = [
            models.Index(fields=["promotion", "customer_id"], name="code_use_customer_idx"),
            models.Index(fields=["order_id"], name="code_use_order_idx"),
            models.Index(fields=["promotion", "-used_at", "-id"], name="code_use_list_idx"),
        ]

    def __str__(self):
        return f"{self.code or self.promotion_id} on order {self.order_id}"


class TaxRate(models.Model):
    """A sales tax rate for a country, or one region of it (blank region: the whole country).
    A region's rate wins over its country's."""

    country = models.CharField(max_length=2, help_text="ISO code, e.g. US.")
    region = models.CharField(
        max_length=100, blank=True, help_text="As addresses store it, e.g. CA. Blank: everywhere."
    )
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent, e.g. 7.25.",
    )
    name = models.CharField(max_length=100, help_text='As the order shows it, e.g. "CA sales tax".')

    class Meta:
        ordering = ["country", "region"]
        constraints = [
            models.UniqueConstraint(
                "country", Lower("region"), name="tax_rate_country_region_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="tax_rate_percent"
            ),
        ]

    def __str__(self):
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} ({where}, {self.rate}%)"


class TaxSettings(StoreSettings):
    tax_shipping = models.BooleanField(
        default=False, help_text="Charge each address's tax rate on its shipping too."
    )

    class Meta:
        verbose_name_plural = "tax settings"

    def __str__(self):
        return "Tax settings"
