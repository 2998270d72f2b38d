"""The outbox: every customer email is a row, written in the transaction that causes it."""

from django.db import models
from django.db.models import Q

from core.models import StoreSettings


class EmailSettings(StoreSettings):
    """Who customer emails come from, set by store admins (Settings → Emails). Empty fields
    fall back to the server's configuration: the store name and DEFAULT_FROM_EMAIL."""

    sender_name = models.CharField(
        max_length=100,
        blank=True,
        help_text=(
            "The name customers see as the sender. Empty: the name in the server's "
            "DEFAULT_FROM_EMAIL, or else the store name."
        ),
    )
    sender_email = models.EmailField(
        blank=True,
        help_text=(
            "The address emails come from. Your mail server must be allowed to send for its "
            "domain (SPF/DKIM), or mail will land in spam. Empty: the server's default."
        ),
    )
    reply_to = models.EmailField(
        blank=True, help_text="Where customers' replies go, if not to the sender address."
    )

    class Meta:
        verbose_name = verbose_name_plural = "email settings"

    def __str__(self):
        return "Email settings"

    @classmethod
    def current(cls) -> "EmailSettings":
        """The settings as saved, or the defaults: reads, never writes (a preview may call it)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class OutboxMessage(models.Model):
    PURCHASE_ORDER_KINDS = ("purchase_order", "purchase_order_cancel")

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Shipped"
        TRACKING_UPDATED = "tracking_updated", "Tracking updated"
        DELIVERED = "delivered", "Delivered"
        DIGITAL_GOODS = "digital_goods", "Digital goods"
        PAYMENT_UPDATE_REQUEST = "payment_update_request", "Payment update request"
        # To a vendor, not the customer: subject_key is the PO's label ("PO-5001"); an EDI
        # vendor's has no address (its 850 goes to the vendor's inbound folder).
        PURCHASE_ORDER = "purchase_order", "Purchase order"
        PURCHASE_ORDER_CANCEL = "purchase_order_cancel", "Purchase order cancellation"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Not sent because it no longer applies (the order was paid before the request went).
        SKIPPED = "skipped", "Not needed"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What makes the email unique for its order and kind: "shipment:12", "tracking:5:…", "order".
    subject_key = models.CharField(max_length=100)
    to_email = models.EmailField(blank=True)
    # Fixed at creation, so every copy ever sent (a retry after a lost acknowledgement) carries
    # the same one and mail clients can fold duplicates.
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The claim that may send and mark the row: a fresh token per claim, so a worker whose
    # lease ran out cannot mark (or fail) a row that another worker has claimed since.
    claim_token = models.UUIDField(null=True, blank=True)
    # When the row was last handed to the worker: the sweep re-hands it only after a while.
    handed_at = models.DateTimeField(null=True, blank=True)
    # Transient failures (4xx, connection) are retried until then; set at the first one.
    retry_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        # Store admins see what each kind of email looks like (Settings → Emails).
        permissions = [("preview_emails", "Can preview the customer emails")]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "subject_key"], name="outbox_message_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="outbox_sweep_idx",
            ),
            models.Index(fields=["order", "created_at"], name="outbox_order_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} email for order {self.order_id} ({self.status})"
