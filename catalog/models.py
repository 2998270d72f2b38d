from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.models import StoreSettings

MONEY = {"max_digits": 12, "decimal_places": 2}


class Vendor(models.Model):
    """A supplier that can drop-ship a product; purchasing/ sends it purchase orders.

    How a PO reaches it is `po_method`: email (to `po_emails`), or EDI (an X12 850 put in its
    inbound folder, over SFTP or in a local folder that an AS2/VAN client on this host picks
    up). SFTP secrets are stored encrypted (`sftp_secret`, as gateway credentials are) and never
    shown back; the server's host key is pinned at the first successful connection.
    """

    class PoMethod(models.TextChoices):
        NONE = "", "Not set"
        EMAIL = "email", "Email"
        EDI = "edi", "EDI (X12)"

    class Transport(models.TextChoices):
        LOCAL = "local", "Local folder (AS2/VAN client)"
        SFTP = "sftp", "SFTP"

    name = models.CharField(max_length=200, unique=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    po_method = models.CharField(
        max_length=10, choices=PoMethod.choices, blank=True, default=PoMethod.NONE
    )
    po_emails = ArrayField(
        models.EmailField(), default=list, blank=True, help_text="Where emailed POs go."
    )
    # X12 envelope: ISA05/06 and GS02 are ours as the vendor knows us, ISA07/08 and GS03 theirs.
    edi_sender_qualifier = models.CharField(max_length=2, blank=True, default="ZZ")
    edi_sender_id = models.CharField(max_length=15, blank=True)
    edi_receiver_qualifier = models.CharField(max_length=2, blank=True, default="ZZ")
    edi_receiver_id = models.CharField(max_length=15, blank=True)
    # The last interchange control number used; raised in SQL (purchasing.edi), never in Python.
    edi_control_number = models.PositiveIntegerField(default=0)
    edi_transport = models.CharField(
        max_length=10, choices=Transport.choices, blank=True, default=Transport.LOCAL
    )
    # Remote paths for SFTP; for a local folder, relative to PURCHASING_EDI_ROOT.
    edi_inbound_dir = models.CharField(max_length=300, blank=True, default="inbound")
    edi_outbound_dir = models.CharField(max_length=300, blank=True, default="outbound")
    sftp_host = models.CharField(max_length=255, blank=True)
    sftp_port = models.PositiveIntegerField(default=22)
    sftp_username = models.CharField(max_length=100, blank=True)
    sftp_secret = models.TextField(blank=True, help_text="Encrypted password or private key.")
    # "<type> <base64>" of the key pinned at the first successful connection, and a different
    # key seen since (every transfer is refused until an admin accepts it).
    sftp_host_key = models.TextField(blank=True)
    sftp_host_key_seen = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sftp_port__gte=1, sftp_port__lte=65535), name="vendor_sftp_port_range"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def address_lines(self) -> list[str]:
        place = " ".join(p for p in [self.city, self.region, self.postal_code] if p)
        return [p for p in [self.address_line1, self.address_line2, place, self.country] if p]


class Product(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_shippable = models.BooleanField(
        default=True, help_text="Physical goods ship; digital goods and services do not."
    )
    is_active = models.BooleanField(default=True)
    vendors = models.ManyToManyField(Vendor, through="ProductVendor", related_name="products")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Type-aheads over products (the transactions grid's item filter) match the start
            # of any word of the name ("mug" finds "Alpine Mug"): a prefix tsquery walks this
            # index (catalog.selectors.product_suggestions). EXPLAIN ANALYZE, 200,000
            # products, "alpine mug" (16,666 match, so a top-10 sort follows; the worst case):
            #   Bitmap Index Scan on product_name_words_idx
            #     Index Cond: (to_tsvector('simple', name) @@ 'alpine:* & mug:*')
            #   Execution Time: 17 ms (without the index, a parallel seq scan: 222 ms)
            GinIndex(SearchVector("name", config="simple"), name="product_name_words_idx"),
        ]

    def __str__(self):
        return self.name


class Variant(models.Model):
    """A sellable SKU. `stock` and `units_sold` change only through catalog.services."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    options = models.JSONField(default=dict, blank=True, help_text='e.g. {"size": "M"}')
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    cost_price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    stock = models.IntegerField(default=0)
    units_sold = models.IntegerField(default=0)
    track_stock = models.BooleanField(default=True)
    # Units sold while out of stock (the store allows backorders): they ship when stock arrives,
    # and received stock fills them first.
    backordered = models.IntegerField(default=0, db_default=0)
    hands_out_serial_codes = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Each unit sold takes a code from this variant's serial-code pool.",
    )

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="variant_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(units_sold__gte=0), name="variant_units_sold_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(backordered__gte=0), name="variant_backordered_not_negative"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0), name="variant_cost_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.sku} · {self.display_name}"

    @property
    def options_label(self) -> str:
        return ", ".join(f"{k}: {v}" for k, v in sorted(self.options.items()))

    @property
    def display_name(self) -> str:
        label = self.options_label
        return f"{self.product.name} ({label})" if label else self.product.name


class StockMovement(models.Model):
    """The stock ledger: one row for every change of a variant's stock, with its reason."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", "Stock received"
        ADJUSTMENT = "adjustment", "Manual adjustment"
        SALE = "sale", "Sold (order paid)"
        SALE_REVERSAL = "sale_reversal", "Sale reversed (rollback or cancel)"
        BACKORDER_FILLED = "backorder_filled", "Backorders filled from arriving stock"
        INITIAL = "initial", "Opening stock"

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="movements")
    delta = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # A loose reference (e.g. "order:100123") keeps catalog free of imports from orders.
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    stock_after = models.IntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="stock_movement_delta_not_zero")
        ]

    def __str__(self):
        return f"{self.variant_id} {self.delta:+d} ({self.reason})"


class SerialCode(models.Model):
    """A code from a variant's pool (licence keys, gift codes), handed out when an order is paid.

    Its life: available → assigned (to an order, when paid) → retired (the sale was rolled back
    or cancelled). A code that reached anyone never goes back to the pool by itself: a retired
    code keeps its order, and only a store admin may return one that was never delivered
    (catalog.services.serial_code_return_to_pool). `delivered_at` is set when an email carrying
    it is about to be sent; the constraints below keep every state's facts together.
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        ASSIGNED = "assigned", "Assigned"
        RETIRED = "retired", "Retired"

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="serial_codes")
    code = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.AVAILABLE, db_default="available"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    allocation_reference = models.CharField(max_length=100, blank=True, db_index=True)
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the code was first sent to its buyer."
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who rolled back or cancelled the sale (empty: the system).",
    )
    returned_at = models.DateTimeField(
        null=True, blank=True, help_text="When a store admin last returned it to the pool."
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        permissions = [
            (
                "return_serialcode",
                "Can return a retired serial code that was never delivered to the pool",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "code"], name="serial_code_unique_per_variant"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status="available",
                        allocated_at__isnull=True,
                        allocation_reference="",
                        delivered_at__isnull=True,
                        retired_at__isnull=True,
                    )
                    | Q(
                        status="assigned",
                        allocated_at__isnull=False,
                        retired_at__isnull=True,
                    )
                    & ~Q(allocation_reference="")
                    | Q(
                        status="retired",
                        allocated_at__isnull=False,
                        retired_at__isnull=False,
                    )
                    & ~Q(allocation_reference="")
                ),
                name="serial_code_state_consistent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["variant", "id"],
                condition=Q(status="available"),
                name="serial_code_free_idx",
            )
        ]

    def __str__(self):
        return self.code


class DigitalFile(models.Model):
    """A downloadable file of a digital variant; customers get signed, expiring links to it."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="digital_files")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="digital/")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.title


class ProductVendor(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="vendor_links")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="product_links")
    vendor_sku = models.CharField(max_length=64, blank=True)
    cost = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "vendor"], name="product_vendor_unique"),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(is_default=True),
                name="product_one_default_vendor",
            ),
        ]

    def __str__(self):
        return f"{self.product} from {self.vendor}"


class CatalogSettings(StoreSettings):
    """The store's catalog settings, one row (pk=1)."""

    allow_backorders = models.BooleanField(
        default=False,
        help_text=(
            "Sell items that are out of stock: the shortfall is recorded as backordered and "
            "filled first when stock arrives. Off: an order short of stock cannot be paid."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = "catalog settings"

    def __str__(self):
        return "Catalog settings"
