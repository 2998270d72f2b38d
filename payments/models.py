from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import StoreSettings

from . import crypto

MONEY = {"max_digits": 12, "decimal_places": 2}


class GatewayQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True).first()


class Gateway(models.Model):
    """A payment gateway the store charges through. At most one is active at a time."""

    class Kind(models.TextChoices):
        TEST = "test", "Built-in test gateway"
        STRIPE = "stripe", "Stripe"

    class Mode(models.TextChoices):
        TEST = "test", "Test"
        LIVE = "live", "Live"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, help_text="Shown to staff, e.g. “Stripe (main)”.")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.TEST)
    is_active = models.BooleanField(default=False)
    # {"secret_key": ..., "webhook_secret": ..., "api_base": ...}: encrypted, never shown back.
    credentials_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GatewayQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_gateway"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def credentials(self) -> dict:
        return crypto.decrypt(self.credentials_encrypted)

    def notification_path(self) -> str:
        """Where the gateway posts its server-to-server notifications ("silent response")."""
        return reverse("payments:notify", kwargs={"gateway_id": self.pk})


class PaymentAttempt(models.Model):
    """Every charge tried through a gateway, approved or not: the audit of what was asked."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        TIMEOUT = "timeout", "Gateway timed out"
        ERROR = "error", "Gateway error"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    gateway = models.ForeignKey(Gateway, null=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(**MONEY)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    decline_code = models.CharField(max_length=50, blank=True)
    message = models.CharField(max_length=300, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True)
    authorization_code = models.CharField(max_length=100, blank=True)
    avs_result = models.CharField(max_length=20, blank=True)
    cvv_result = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "-created_at"], name="attempt_order_idx")]

    def __str__(self):
        return f"{self.order_id} {self.outcome}"


class Payment(models.Model):
    """Money received for an order, by any path. At most one live (captured) per order."""

    class Method(models.TextChoices):
        GATEWAY = "gateway", "Card, charged through the gateway"
        NOTIFICATION = "notification", "Card, reported by the gateway"
        STOREFRONT = "storefront", "Captured at checkout"
        CHECK = "check", "Check"
        WIRE = "wire", "Wire transfer"
        OFFLINE_CARD = "offline_card", "Credit card, processed offline"

    class Status(models.TextChoices):
        CAPTURED = "captured", "Captured"
        REFUND_PENDING = "refund_pending", "Refund requested"
        REFUNDED = "refunded", "Refunded"
        REVERSED = "reversed", "Reversed (offline payment)"
        REFUND_FAILED = "refund_failed", "Refund failed"

    MANUAL_METHODS = (Method.CHECK, Method.WIRE, Method.OFFLINE_CARD)

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CAPTURED)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    authorization_code = models.CharField(max_length=100, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Check number, wire reference, …"
    )
    transaction_id = models.CharField(max_length=100, blank=True)
    gateway = models.ForeignKey(Gateway, null=True, blank=True, on_delete=models.PROTECT)
    refund_reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("charge_order", "Can charge an order through the gateway"),
            ("record_manual_payment", "Can record an offline payment"),
        ]
        constraints = [
            # Exactly-once, in the database: a second live payment for one order is refused.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="captured"), name="one_live_payment_per_order"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount} {self.currency}"


class GatewayNotification(models.Model):
    """Every accepted server-to-server notification, once: the gateway's event id is unique."""

    class Outcome(models.TextChoices):
        PAID = "paid", "Order marked paid"
        ALREADY_PAID = "already_paid", "Order was already paid"
        DECLINED = "declined", "Payment declined"
        REFUNDED = "refunded", "Payment refunded"
        IGNORED = "ignored", "Nothing to do"

    gateway = models.ForeignKey(Gateway, on_delete=models.PROTECT, related_name="notifications")
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "event_id"], name="gateway_notification_once"
            )
        ]

    def __str__(self):
        return f"{self.gateway_id}:{self.event_id}"


class PaymentSettings(StoreSettings):
    """The store's payment settings, one row (pk=1)."""

    auto_charge = models.BooleanField(
        default=False,
        help_text=(
            "Charge new orders through the active gateway as soon as they arrive, without "
            "staff. High-risk orders are held for review instead."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = "payment settings"

    def __str__(self):
        return "Payment settings"
