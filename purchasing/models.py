"""Purchase orders to vendors that drop-ship an order's lines.

A PO belongs to one order and one vendor; each of its lines is one order line (never two order
lines merged, never two orders). An order line is on at most one open PO (a partial unique
index on `is_open`, cleared when the PO is cancelled). The status is derived from the lines'
quantities by purchasing.services and stored for the lists' filters.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from core.models import StoreSettings
from orders.models import MONEY, NextVal

PO_NUMBER_SEQUENCE = "purchasing_po_number_seq"


class PurchaseOrderQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=PurchaseOrder.Status.CANCELLED)


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTLY_SHIPPED = "partly_shipped", "Partly shipped"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    number = models.BigIntegerField(unique=True, db_default=NextVal(PO_NUMBER_SEQUENCE))
    # Only a never-paid order may be deleted (orders.services), and POs are for paid ones.
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="purchase_orders"
    )
    vendor = models.ForeignKey(
        "catalog.Vendor", on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the worker handed it to the vendor (email accepted, 850 file in place).
    transmitted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The X12 interchange control numbers of its 850 and of its cancellation (purpose 01),
    # taken from the vendor's counter when sent: unique and increasing per vendor, and fixed,
    # so a retried upload carries the same number under the same file name.
    edi_control_number = models.PositiveIntegerField(null=True, blank=True)
    edi_cancel_control_number = models.PositiveIntegerField(null=True, blank=True)

    objects = PurchaseOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(status="cancelled"),
                name="po_cancelled_has_status",
            ),
            models.UniqueConstraint(
                fields=["vendor", "edi_control_number"], name="po_edi_control_number_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="po_status_created_idx"),
            models.Index(fields=["vendor", "created_at", "id"], name="po_vendor_created_idx"),
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.order_id]) + "#purchase-orders"

    @property
    def label(self) -> str:
        return f"PO-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CANCELLED


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="purchase_order_lines"
    )
    quantity = models.PositiveIntegerField()
    quantity_shipped = models.PositiveIntegerField(default=0)
    vendor_sku = models.CharField(max_length=64, blank=True)
    # What one unit cost the store (the vendor's cost when the PO was made): the profit
    # report's cost of a drop-shipped line.
    unit_cost = models.DecimalField(**MONEY)
    # False once its PO is cancelled: the partial unique index below frees the order line.
    is_open = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"], condition=Q(is_open=True), name="po_line_one_open_po"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity")),
                name="po_line_not_overshipped",
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="po_line_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.vendor_sku or self.order_line_id}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.quantity_shipped

    @property
    def cost(self):
        return self.unit_cost * self.quantity


class ShipNotice(models.Model):
    """An X12 856 ship notice read from an EDI vendor's outbound folder: applied (its shipments
    recorded) or refused (kept in the folder, shown to staff with the reason). Unique per
    vendor, file name and content, so a notice read again (a poll cut off before the file was
    moved aside) is never applied twice."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Not applied"

    vendor = models.ForeignKey("catalog.Vendor", on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True)
    purchase_orders = models.ManyToManyField(PurchaseOrder, blank=True, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "file_name", "sha256"], name="ship_notice_once"
            )
        ]

    def __str__(self):
        return f"{self.file_name} from vendor {self.vendor_id} ({self.status})"


class PurchasingSettings(StoreSettings):
    """The store's drop-shipping settings, one row (pk=1), set by store admins."""

    automate_drop_ship = models.BooleanField(
        default=False,
        help_text=(
            "Each new order paid without staff (charged automatically, or paid at intake) and "
            "not held as high risk gets its drop-ship lines' POs created and sent to their "
            "products' default vendors. A line whose product has no default vendor, or whose "
            "vendor cannot receive POs, is left for staff."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = "purchasing settings"

    def __str__(self):
        return "Purchasing settings"
