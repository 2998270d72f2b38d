import hashlib
import secrets

from django.conf import settings
from django.contrib.postgres.aggregates import BoolOr
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core import signing
from django.db import models
from django.db.models import Func, Q, Value
from django.db.models.functions import Cast, Concat, Upper
from django.urls import reverse
from django.utils import timezone

MONEY = {"max_digits": 12, "decimal_places": 2}
ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"


class NextVal(Func):
    """`nextval('<sequence>')`: order numbers come from a database sequence, gap-tolerant."""

    function = "nextval"
    output_field = models.BigIntegerField()

    def __init__(self, sequence: str, **extra):
        super().__init__(Value(sequence), **extra)


class Translate(Func):
    """`translate(text, from, to)`: each character of `from` in `text` becomes the one of `to`
    at its place."""

    function = "translate"
    output_field = models.TextField()


class SplitPart(Func):
    """`split_part(text, delimiter, n)`: the n-th field of `text` (1-based)."""

    function = "split_part"
    output_field = models.TextField()


# What separates the words of a customer's name and email local part besides what Postgres'
# text search parser splits on (spaces, apostrophes): it reads "anne.smith" as one host name
# and "smithson-lee" as a compound, so these become spaces first.
CUSTOMER_WORD_SEPARATORS = ".-_+"


def customer_words() -> SearchVector:
    """The lower-cased words of an order's customer name and of its email's local part (not
    the domain): what the list's search matches the start of ("smith" finds "Anne Smith" and
    anne.smith@…). Order.customer_words keeps them."""
    text = Concat(
        "customer_name",
        Value(" "),
        SplitPart("customer_email", Value("@"), Value(1)),
        output_field=models.TextField(),
    )
    spaces = " " * len(CUSTOMER_WORD_SEPARATORS)
    return SearchVector(
        Translate(text, Value(CUSTOMER_WORD_SEPARATORS), Value(spaces)), config="simple"
    )


class Channel(models.TextChoices):
    ONLINE = "online", "Online"
    IN_STORE = "in_store", "In store"
    BACK_OFFICE = "back_office", "Back office"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    IN_PROCESS = "in_process", "In process"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class PaymentState(models.TextChoices):
    """Whether an order's sale stands, from its two paid dates (see Order.payment_state)."""

    PAID = "paid", "Paid"
    UNPAID = "unpaid", "Unpaid"
    REFUNDED = "refunded", "Refunded"


class OrderQuerySet(models.QuerySet):
    def with_line_facts(self):
        """What lists need to know of an order's lines, computed in SQL: the item count and
        the two facts the status machine's guards read. Cheaper than prefetching the lines.

        Correlated aggregates rather than EXISTS: Postgres turns an EXISTS in the select list
        into a hashed scan of every line, while an aggregate walks the order_id index.
        """
        lines = OrderLine.objects.filter(order=models.OuterRef("pk")).values("order")

        def per_order(aggregate, output_field):
            return models.Subquery(
                lines.annotate(fact=aggregate).values("fact"), output_field=output_field
            )

        return self.annotate(
            item_count=per_order(models.Sum("quantity"), models.IntegerField()),
            ships_anything=per_order(BoolOr("is_shippable"), models.BooleanField()),
            awaits_shipping=per_order(
                BoolOr(Q(is_shippable=True, quantity_fulfilled__lt=models.F("quantity"))),
                models.BooleanField(),
            ),
        )


class Order(models.Model):
    number = models.BigIntegerField(unique=True, db_default=NextVal(ORDER_NUMBER_SEQUENCE))
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    profile = models.ForeignKey(
        "customers.Profile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # order_profile_placed_idx leads with it
    )
    customer_email = models.EmailField()
    customer_name = models.CharField(max_length=200, blank=True)
    customer_phone = models.CharField(max_length=40, blank=True)
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY, default=0)
    shipping_total = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    external_ref = models.CharField(
        max_length=100, blank=True, help_text="The storefront's or register's own order id."
    )
    # The payment as the storefront reported it; payments/ adds gateways and charges.
    payment_token = models.CharField(max_length=200, blank=True)
    authorization_code = models.CharField(max_length=100, blank=True)
    # A fingerprint of the card the storefront saw (never the number): velocity checks.
    card_fingerprint = models.CharField(max_length=64, blank=True, db_default="")
    # True from the moment a sale was booked (stock and units sold) until it is reversed, so
    # the effect happens exactly once whatever path marks the order paid.
    stock_committed = models.BooleanField(default=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Never cleared: an order that was ever paid can be rolled back or cancelled, not deleted.
    first_paid_at = models.DateTimeField(null=True, blank=True)
    # Computed by Postgres from the two dates, so it can never disagree with them and the list
    # filters on it by index: paid while the sale stands; refunded once paid and then rolled
    # back or cancelled (payments refunds a card, reverses an offline payment); else unpaid.
    payment_state = models.GeneratedField(
        expression=models.Case(
            models.When(paid_at__isnull=False, then=Value("paid")),
            models.When(first_paid_at__isnull=False, then=Value("refunded")),
            default=Value("unpaid"),
        ),
        output_field=models.CharField(max_length=10, choices=PaymentState.choices),
        db_persist=True,
    )
    risk_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, blank=True, db_default=""
    )
    risk_signals = models.JSONField(default=list, blank=True, db_default=[])
    # Stored, not an index expression: the list may walk its date index newest first and test
    # each order's words, and computing them there (to_tsvector) costs ~10 µs an order, which
    # the planner does not see; reading them is ~100 times cheaper (see Meta.indexes).
    customer_words = models.GeneratedField(
        expression=customer_words(), output_field=SearchVectorField(), db_persist=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        permissions = [
            ("change_order_status", "Can change an order's status"),
            ("add_order_note", "Can add a note to an order's timeline"),
        ]
        indexes = [
            # The order list, newest first, under any mix of its filters (status, payment,
            # channel, risk, dates). Each index leads with one filter and placed_at, so a
            # filter and a date range position the scan and the rows come out in the list's
            # order; the other filters' columns follow as keys, so Postgres checks them inside
            # the index and reads only matching rows from the table. The two partial ones lead
            # with the rare values (medium/high risk; unpaid/refunded), so a combination that
            # matches few orders walks those few, not every order of its commonest filter.
            # EXPLAIN ANALYZE at 1,000,000 orders, each filter unset or set (status to 6 of its
            # 7 values, payment, channel and risk to each of theirs) with no dates, the last
            # week or a month last year: 1,344 combinations, all under 10 ms, median 0.13 ms
            # (tests/orders/test_order_desk.py checks each filter's results alone and in every
            # combination). Before these five: median 0.3 ms, 171 over
            # 10 ms; status=complete&payment=unpaid (none) walked the placed_at index to the end:
            #   Limit (rows=0) -> Index Scan using order_placed_idx  Execution Time: 939 ms
            #   (the date's index, now order_placed_words_idx)
            # and with them:
            #   Limit (rows=0) -> Index Only Scan using order_payment_placed_idx
            #     Index Cond: ((payment_state = 'unpaid') AND (status = 'complete'))
            #   Execution Time: 1.4 ms
            # The worst left: channel=back_office&risk=low (none: staff's orders are not
            # rated) walks the 80,000 back-office entries of order_channel_placed_idx, 6 ms.
            # The customer's words ride along (INCLUDE), so that a search for a word of the
            # name walks this index alone, newest first, and tests each order's words without
            # reading the table (orders.selectors._first_rows reads the page's ids first, an
            # index-only scan). EXPLAIN ANALYZE at 1,000,000 orders, the ids of q=garrett
            # (1,555 matches, 34,300 walked):
            #   Limit -> Index Only Scan using order_placed_words_idx  Heap Fetches: 0
            #     Filter: (customer_words @@ '''garrett'':*'::tsquery)
            #   Execution Time: 5.2 ms (reading the rows as it walked: 24.7 ms)
            # 94 MB at 1,000,000 orders, where the date alone took 31 MB.
            models.Index(
                fields=["-placed_at", "-id"],
                name="order_placed_words_idx",
                include=["customer_words"],
            ),
            # A contact's orders, newest first (order entry's "charge the card of their last
            # order"): with only the profile's own index Postgres walked order_placed_idx and
            # filtered every order for a contact with none to match, 1,030 ms at 1,000,000
            # orders; this index answers it in well under a millisecond.
            models.Index(fields=["profile", "-placed_at", "-id"], name="order_profile_placed_idx"),
            models.Index(
                fields=["status", "-placed_at", "-id", "channel", "payment_state", "risk_level"],
                name="order_status_placed_idx",
            ),
            models.Index(
                fields=["channel", "-placed_at", "-id", "status", "payment_state", "risk_level"],
                name="order_channel_placed_idx",
            ),
            models.Index(
                fields=["channel", "status", "-placed_at", "-id", "payment_state", "risk_level"],
                name="order_chan_status_placed_idx",
            ),
            models.Index(
                fields=["risk_level", "-placed_at", "-id", "channel", "status", "payment_state"],
                condition=Q(risk_level__in=[RiskLevel.MEDIUM, RiskLevel.HIGH]),
                name="order_risk_placed_idx",
            ),
            models.Index(
                fields=["payment_state", "-placed_at", "-id", "channel", "status", "risk_level"],
                condition=Q(payment_state__in=[PaymentState.UNPAID, PaymentState.REFUNDED]),
                name="order_payment_placed_idx",
            ),
            models.Index(fields=["total", "id"], name="order_total_idx"),
            # The staff alert counts the online orders above a user's NewOrdersMarker: ids
            # grow in arrival order (placed_at is the storefront's, and may be back-dated).
            models.Index(
                fields=["id"], condition=Q(channel=Channel.ONLINE), name="order_online_id_idx"
            ),
            # Fraud velocity: orders from one IP or one card in the last 24 hours.
            models.Index(fields=["client_ip", "placed_at"], name="order_ip_placed_idx"),
            models.Index(
                fields=["card_fingerprint", "placed_at"],
                condition=~Q(card_fingerprint=""),
                name="order_card_placed_idx",
            ),
            # Staff look customers up by a whole email or its start, in any case
            # (text_pattern_ops: LIKE 'ADA@%' uses it whatever the database's collation).
            # EXPLAIN ANALYZE at 1,000,000 orders, q=kristina.miller901941@example.net:
            #   Limit -> Sort -> Index Scan using order_email_upper_idx
            #     Index Cond: ((upper(customer_email) ~>=~ 'KRISTINA.MILLER901941@EXAMPLE.NET')
            #       AND (upper(customer_email) ~<~ 'KRISTINA.MILLER901941@EXAMPLE.NEU'))
            #   Execution Time: 0.5 ms
            # The email index serves equality too (fraud velocity's same-email count).
            models.Index(
                OpClass(Upper("customer_email"), name="text_pattern_ops"),
                name="order_email_upper_idx",
            ),
            # ... and by the start of any word of the name or of the email's local part
            # ("smith" finds "Anne Smith", anne.smith@…): a prefix tsquery on this index
            # (orders.filters.OrderFilter.filter_q). Postgres picks by its estimate of the
            # matches (the stored column's statistics: q=anne 2,273 estimated, 2,347 found).
            # EXPLAIN ANALYZE at 1,000,000 orders (a loaded 2-core machine), few matches:
            #   Limit -> Sort (top-N) -> Bitmap Heap Scan on orders_order (rows=1043)
            #     -> Bitmap Index Scan on order_customer_words_idx
            #          Index Cond: (customer_words @@ '''smith'':*'::tsquery)
            #   smith 4-19 ms, rojas (1,525) 7-25 ms, zebedee (none) 0.05 ms;
            # many: the date index newest first, testing each order's stored words:
            #   Limit -> Index Scan using order_placed_idx
            #     Filter: (customer_words @@ '''kris'':*'::tsquery)  Rows Removed: 6202
            #   kris (9,025) 3-9 ms, john 2-4 ms, a 0.2-0.5 ms; the edge, anne and rodn
            #   (~2,500; ~20,000 walked): 20-50 ms, where the bitmap takes 11-14 ms.
            # Reading the ids first to force the bitmap read every match twice and was
            # slower overall (median 96 vs 53 ms a list call over 15 names, interleaved).
            # Since December 7 the ids are read first without forcing anything: the walk of
            # the date's index is then index-only (order_placed_words_idx above), 3-5 times
            # faster than these walks, and Postgres still takes the bitmap for few matches.
            GinIndex(fields=["customer_words"], name="order_customer_words_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="order_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
        ]

    def __str__(self):
        return f"#{self.number}"

    def get_absolute_url(self):
        return reverse("orders:detail", kwargs={"number": self.number})

    REFERENCE_PREFIX = "order:"

    @property
    def reference(self) -> str:
        """How other apps (the stock ledger, serial codes) point at this order."""
        return f"{self.REFERENCE_PREFIX}{self.number}"

    @classmethod
    def reference_of(cls, number) -> Concat:
        """`reference` in SQL, for the order whose number is the expression `number`."""
        return Concat(Value(cls.REFERENCE_PREFIX), Cast(number, models.CharField()))

    # Both facts come from `with_line_facts()` annotations when a list loaded them.
    @property
    def has_shippable_lines(self) -> bool:
        if "ships_anything" in self.__dict__:
            return bool(self.ships_anything)
        return any(line.is_shippable for line in self.lines.all())

    @property
    def has_lines_to_ship(self) -> bool:
        if "awaits_shipping" in self.__dict__:
            return bool(self.awaits_shipping)
        return any(
            line.is_shippable and line.quantity_fulfilled < line.quantity
            for line in self.lines.all()
        )


class NewOrdersMarker(models.Model):
    """How far one user has seen the online orders: the id of the newest one they were shown.

    A high-water mark, not a row per order: the nav badge counts the online orders above it,
    and seeing the newest ones moves it up, which also covers older ones not on screen (an
    order back-dated by its storefront, the 51st new one). A user without a marker has never
    polled; their first poll starts it at the newest online order, so nobody is greeted with
    thousands. Not a foreign key: deleting an order must not move anybody's mark. (Ids are
    taken at insert: an order whose intake commits after a newer one was already seen would
    be missed. Intake holds its transaction for milliseconds, so that window stays tiny.)
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    seen_up_to_id = models.BigIntegerField()
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id} has seen online orders up to id {self.seen_up_to_id}"


class OrderDestination(models.Model):
    """One address of an order shipped to several (back-office entry, seed 003): a snapshot
    of the address (as Order.shipping_address) and the shipping speed chosen for it. Lines
    point at theirs; an order with one address has one destination, or none from intake."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="destinations")
    position = models.PositiveSmallIntegerField()
    address = models.JSONField(default=dict)
    # Shipping speeds live in shipping/, above orders: a snapshot of the name and its id.
    shipping_method_id = models.IntegerField(null=True, blank=True)
    shipping_method_name = models.CharField(max_length=100, blank=True)
    shipping = models.DecimalField(**MONEY, default=0)
    shipping_tax = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "position"], name="order_destination_position_unique"
            )
        ]

    def __str__(self):
        return f"#{self.order_id} destination {self.position}"


class OrderLine(models.Model):
    class Fulfilment(models.TextChoices):
        UNFULFILLED = "unfulfilled", "Not sent"
        PARTIAL = "partial", "Partly sent"
        FULFILLED = "fulfilled", "Sent"
        NOT_REQUIRED = "not_required", "Nothing to ship"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    options = models.CharField(max_length=200, blank=True)
    unit_price = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**MONEY, default=0)
    quantity = models.PositiveIntegerField()
    tax = models.DecimalField(**MONEY, default=0)
    discount = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY)
    is_shippable = models.BooleanField(default=True)
    fulfilment_status = models.CharField(
        max_length=20, choices=Fulfilment.choices, default=Fulfilment.UNFULFILLED
    )
    quantity_fulfilled = models.PositiveIntegerField(default=0)
    # Where the line goes when the order ships to several addresses (else None: the
    # order's shipping_address), and whether it is a gift (its packing slip shows no prices).
    destination = models.ForeignKey(
        OrderDestination, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines"
    )
    is_gift = models.BooleanField(default=False, db_default=False)
    # How many of `quantity` were sold on backorder when the order was paid (0 otherwise).
    quantity_backordered = models.PositiveIntegerField(default=0, db_default=0)
    # Two facts of the sale copied onto the line when it is written, so the transactions
    # grid can filter and sort lines by one index: Postgres cannot walk one index across the
    # lines⋈orders join ("this item, newest first"). Both never change: an order's placed_at
    # is set at intake, and the product is what was bought even if the variant goes later.
    # Writers set them; a trigger (migration 0006) fills them for any writer that does not.
    placed_at = models.DateTimeField(editable=False)
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # line_product_placed_idx leads with it
    )

    class Meta:
        ordering = ["id"]
        # The transactions grid's sorts and filters, one index each (the plans, measured at
        # 2,500,000 lines, are in orders/grid/selectors.py). Date ties break on the order,
        # then the line, so an order's items stay together and a cursor is unique.
        indexes = [
            models.Index(fields=["-placed_at", "-order", "-id"], name="line_placed_idx"),
            models.Index(
                fields=["product", "-placed_at", "-order", "-id"],
                name="line_product_placed_idx",
            ),
            models.Index(fields=["total", "id"], name="line_total_idx"),
            models.Index(fields=["product", "total", "id"], name="line_product_total_idx"),
            models.Index(fields=["quantity", "id"], name="line_quantity_idx"),
            models.Index(fields=["product", "quantity", "id"], name="line_product_quantity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity_fulfilled__lte=models.F("quantity")),
                name="order_line_not_overfulfilled",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"

    @property
    def label(self) -> str:
        """The item as customers read it: the product's name, then the variant's options
        (`name` holds the product's name only, `options` the variant's)."""
        return f"{self.name} ({self.options})" if self.options else self.name


class DownloadLink(models.Model):
    """A buyer's link to a digital file: an unguessable token, signed and expiring in the URL,
    revocable here (a rollback revokes it)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="download_links")
    digital_file = models.ForeignKey(
        "catalog.DigitalFile", on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.digital_file} for {self.line}"

    def get_absolute_url(self):
        signed = signing.TimestampSigner(salt="orders.download").sign(self.token)
        return reverse("orders:download", kwargs={"signed_token": signed})

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class OrderEvent(models.Model):
    """The order's timeline: every status change, note and side effect, with who and when."""

    class Kind(models.TextChoices):
        PLACED = "placed", "Order placed"
        STATUS = "status", "Status changed"
        NOTE = "note", "Note"
        STOCK = "stock", "Stock"
        PAYMENT = "payment", "Payment"
        EMAIL = "email", "Email"
        SHIPPING = "shipping", "Shipping"
        INVOICE = "invoice", "Invoice"
        PURCHASING = "purchasing", "Purchase order"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, when there is no user: "API: Storefront key", "Gateway notification", "System".
    actor_label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="order_event_order_idx")]

    def __str__(self):
        return f"{self.order_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def who(self) -> str:
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_label or "System"


class ApiKey(models.Model):
    """A per-channel key for the storefront or the register. Only its SHA-256 is stored.

    Keys are 256-bit random secrets, so a fast hash is as safe as a slow one and keeps the
    intake API's authentication off the hot path.
    """

    PREFIX = "bo"

    name = models.CharField(max_length=100)
    channel = models.CharField(
        max_length=20, choices=[(Channel.ONLINE, "Online"), (Channel.IN_STORE, "In store")]
    )
    lookup = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.get_channel_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls) -> tuple[str, str, str]:
        """A new raw key, its lookup part and its hash. The raw key is shown once, never stored."""
        lookup = secrets.token_hex(8)
        raw = f"{cls.PREFIX}_{lookup}_{secrets.token_urlsafe(32)}"
        return raw, lookup, cls.hash(raw)

    @staticmethod
    def lookup_of(raw: str) -> str | None:
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != ApiKey.PREFIX or len(parts[1]) != 16:
            return None
        return parts[1]


class IntakeRequest(models.Model):
    """One Idempotency-Key of one channel: the same key and body always mean the same order.

    Scoped to the channel rather than the key, so a retry still matches after a key rotation.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    key = models.CharField(max_length=200)
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    body_hash = models.CharField(max_length=64)
    order = models.ForeignKey(Order, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="intake_idempotency_key_unique")
        ]

    def __str__(self):
        return self.key


class SavedView(models.Model):
    """A list's filter set saved under a name, for its owner or shared with every colleague
    who may see that list; shown as a tab beside All / Online / In store."""

    class Page(models.TextChoices):
        ORDERS = "orders", "Orders"
        TRANSACTIONS = "transactions", "Transactions"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=20, choices=Page.choices)
    name = models.CharField(max_length=60)
    # The list's query string, normalized (sorted keys, no paging), so the tab knows it is open.
    query = models.CharField(max_length=1000)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", "page", Upper("name"), name="saved_view_name_unique_per_owner"
            )
        ]
        indexes = [
            # A list page reads the user's own views and the shared ones of that page.
            models.Index(fields=["page", "owner"], name="saved_view_owner_idx"),
            models.Index(fields=["page"], condition=Q(shared=True), name="saved_view_shared_idx"),
        ]

    def __str__(self):
        return self.name
