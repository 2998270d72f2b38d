import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from core.models import StoreSettings

from . import carriers

MONEY = {"max_digits": 12, "decimal_places": 2}


def validate_tracking_url_template(value: str) -> None:
    """A tracking-page template must say where the number goes and be a web address: it is
    put into customer emails and the tracking page as a link."""
    if carriers.NUMBER_PLACEHOLDER not in value:
        raise ValidationError(
            "Put {number} where the tracking number goes, e.g. "
            "https://www.ups.com/track?tracknum={number}.",
            code="no_number_placeholder",
        )
    try:
        URLValidator(schemes=["http", "https"])(carriers.tracking_url(value, "1Z999AA10123456784"))
    except ValidationError:
        raise ValidationError(
            "Enter a web address starting with https:// (or http://).", code="invalid_url"
        ) from None


class Carrier(models.Model):
    """A carrier or courier that ships orders.

    UPS, USPS, FedEx and DHL Express are seeded by the initial migration with the codes of
    `shipping.carriers.KNOWN_CARRIERS`, and check their tracking numbers; a courier staff type
    by name (shipping.services.carrier_for_name) takes any reference until an admin chooses a
    check for it in Settings → Carriers.
    """

    name = models.CharField(max_length=100)
    code = models.SlugField(
        max_length=40,
        unique=True,
        help_text="A short identifier, e.g. royal-mail. ups, usps, fedex and dhl are built in.",
    )
    tracking_url_template = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_tracking_url_template],
        help_text=(
            "The carrier's tracking page, with {number} where the tracking number goes. "
            "Empty: shipments show the number without a link."
        ),
    )
    number_check = models.CharField(
        "tracking-number check",
        max_length=10,
        blank=True,
        choices=[("", "None: any reference"), *carriers.NUMBER_CHECKS],
        help_text=(
            "Whose published format and check digit its tracking numbers must have. None: "
            "any reference the courier gives."
        ),
    )
    is_active = models.BooleanField(
        default=True, help_text="Only active carriers can be chosen for new shipments."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="carrier_name_unique_ci",
                violation_error_message="There is already a carrier with this name.",
            ),
            models.CheckConstraint(
                condition=Q(tracking_url_template="")
                | Q(tracking_url_template__contains=carriers.NUMBER_PLACEHOLDER),
                name="carrier_tracking_url_has_number",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_known(self) -> bool:
        """Whether its tracking numbers are checked against a published format."""
        return self.number_check in carriers.KNOWN_CARRIERS

    def tracking_url(self, number: str) -> str:
        return carriers.tracking_url(self.tracking_url_template, number)


class ShippingMethod(models.Model):
    """A shipping speed the store offers (Standard, 2-day, Overnight) and its price rules:
    a flat price, free from an order subtotal when a threshold is set."""

    name = models.CharField(max_length=100)
    carrier = models.ForeignKey(
        Carrier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipping_methods",
        help_text="Empty: staff choose the carrier when they ship.",
    )
    speed = models.CharField(
        max_length=50, blank=True, help_text='As customers read it, e.g. "2-day" or "Overnight".'
    )
    days_min = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Fewest business days in transit."
    )
    days_max = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most business days in transit."
    )
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    free_from_subtotal = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Free when the order subtotal is at least this amount. Empty: never free.",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="shipping_method_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(free_from_subtotal__isnull=True) | Q(free_from_subtotal__gte=0),
                name="shipping_method_free_from_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(days_min__isnull=True)
                | Q(days_max__isnull=True)
                | Q(days_min__lte=models.F("days_max")),
                name="shipping_method_days_min_lte_max",
                violation_error_message="The fewest days cannot be more than the most days.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def transit_time(self) -> str:
        """The speed as customers read it: the label, or the business days in transit."""
        if self.speed:
            return self.speed
        low, high = self.days_min, self.days_max
        if low is not None and high is not None and low != high:
            return f"{low}–{high} business days"
        days = high if low is None else low
        if days is None:
            return ""
        unit = "business day" if days == 1 else "business days"
        if low is None:
            return f"up to {days} {unit}"
        return f"{days} {unit}" if high is not None else f"{days} or more {unit}"


class Shipment(models.Model):
    """A parcel (or a set of parcels under one courier) that left with some of an order's lines.

    Written only by `shipping.services.shipment_create`, which keeps the lines' sent quantities
    true and moves the order to Shipped when nothing is left to send.
    """

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    method = models.ForeignKey(
        ShippingMethod,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    shipped_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shipped_on", "id"]

    def __str__(self):
        return f"Shipment {self.pk} of order {self.order_id} by {self.carrier}"


class ShipmentLine(models.Model):
    """How many units of one order line went in a shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="shipment_line_once_per_shipment"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × line {self.order_line_id}"


class TrackingNumber(models.Model):
    """A tracking number of a shipment, normalized as its carrier prints it.

    `override_reason` is non-blank exactly when the number failed its carrier's check and staff
    recorded it anyway, saying why.
    """

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="tracking_numbers"
    )
    number = models.CharField(max_length=carriers.MAX_REFERENCE_LENGTH)
    override_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(number=""), name="tracking_number_not_empty"),
        ]

    def __str__(self):
        return self.number

    @property
    def tracking_url(self) -> str:
        return self.shipment.carrier.tracking_url(self.number)


class ShippingSettings(StoreSettings):
    """The store's shipping settings, one row (pk=1)."""

    deliver_on_tracking = models.BooleanField(
        default=False,
        help_text=(
            "Mark an order Delivered as soon as the shipment that sends its last items is "
            "recorded with a tracking number. Off: staff mark it Delivered when it arrives."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = "shipping settings"

    def __str__(self):
        return "Shipping settings"


def new_tracking_token() -> str:
    return secrets.token_urlsafe(32)


class OrderTracking(models.Model):
    """The unguessable token in a customer's tracking-page link.

    An order has at most one live token (revoked_at empty); revoking keeps the old row, so the
    old link answers not-found, and `shipping.tracking.tracking_token_revoke` issues a new one.
    """

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="tracking_tokens"
    )
    token = models.CharField(max_length=64, unique=True, default=new_tracking_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(revoked_at__isnull=True),
                name="order_tracking_one_live_token",
            ),
        ]

    def __str__(self):
        return f"Tracking link of order {self.order_id}"
