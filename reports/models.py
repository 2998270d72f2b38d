"""Exports of what a list shows, kept while staff download them (large ones run on the worker)."""

from django.conf import settings
from django.db import models

from orders.models import Channel


class Export(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    # Which list: a key of reports.exports.SOURCES ("orders", "transactions").
    source = models.CharField(max_length=30)
    # The list's query string (filters and sort) as the user saw it.
    query = models.TextField(blank=True)
    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="export_user_idx")]

    def __str__(self):
        return self.filename

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


# ---- Daily totals: what the sales, channel and product reports read --------------------------
# Kept up to date in the transaction of the event that moves them (reports.upkeep): an order
# paid adds its sale to the day it was paid; a rollback or cancel of a paid order adds a return
# to the day it happened (past days never change); a vendor shipping a drop-shipped line
# replaces its cost on the day it ships. `reports_rebuild` recomputes them from the orders.
# Every figure is a sum over events, so each event adds to its rows with one upsert.

MONEY = {"max_digits": 14, "decimal_places": 2, "default": 0}


class SalesFigures(models.Model):
    """The figures a day's row sums (see README "Reports: definitions")."""

    units_sold = models.IntegerField(default=0)
    units_returned = models.IntegerField(default=0)
    # unit price × quantity of the lines of the orders paid
    gross_sales = models.DecimalField(**MONEY)
    # line discounts (and, in DailyTotals, order discounts) of the orders paid
    discounts = models.DecimalField(**MONEY)
    # what the orders rolled back or cancelled after payment had cost the customer (after
    # discounts, before shipping and tax)
    returns = models.DecimalField(**MONEY)
    # the cost of the units sold, less that of the units returned, plus the difference a
    # vendor's PO cost made when it shipped a drop-shipped line
    cost = models.DecimalField(**MONEY)
    # Units sold with no cost recorded (a cost of 0.00), and their sales after discounts:
    # left out of the profit, and shown as such.
    unknown_cost_units = models.IntegerField(default=0)
    unknown_cost_sales = models.DecimalField(**MONEY)

    class Meta:
        abstract = True


class DailyTotals(SalesFigures):
    """One day's sales of one channel, order amounts included: Sales over time, By channel."""

    day = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    orders = models.IntegerField(default=0)  # orders paid that day
    orders_returned = models.IntegerField(default=0)
    # The amounts of whole orders: + on the day paid, − on the day reversed.
    shipping = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "channel"], name="daily_totals_day_channel")
        ]
        permissions = [("view_reports", "Can open the sales, cost, profit and stock reports")]

    def __str__(self):
        return f"{self.day} {self.channel}"


class VariantSales(SalesFigures):
    """A variant's sales (line amounts only) over one day, week (from Monday) or month, in one
    channel or in all (channel ""): By product.

    The same figures kept at three grains so that By product over any range reads few rows:
    whole months, then whole weeks, then days at its edges (reports.selectors), about 20,000
    rows for two years at a million orders, where the days alone are 600,000. Every event adds
    to its six rows (3 grains × its channel and all) in one statement.

    `variant` and `product` are not enforced by the database: a variant deleted later keeps
    its history here (the report names it "Deleted item")."""

    class Period(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "Week"
        MONTH = "month", "Month"

    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField()  # the day, the week's Monday or the month's 1st
    channel = models.CharField(max_length=20, blank=True)  # "": all channels
    variant = models.ForeignKey(
        "catalog.Variant",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # variant_sales_key and the range index serve the reads
        related_name="+",
    )
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # variant_sales_key and the range index serve the reads
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "channel", "variant", "product"],
                nulls_distinct=False,
                name="variant_sales_key",
            )
        ]
        indexes = [
            models.Index(fields=["channel", "period", "start"], name="variant_sales_range_idx")
        ]

    def __str__(self):
        return f"{self.period} {self.start} {self.channel or 'all'} {self.variant_id}"


class CostChange(models.Model):
    """A vendor shipped units of a drop-shipped line: from that day their cost is the PO
    line's instead of the line's. The record of when (the shipment) and how many, which the
    rebuild reads; its deltas are what the day's rows got."""

    po_line_id = models.BigIntegerField()
    order_line_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    happened_at = models.DateTimeField()
    day = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    variant_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)
    cost_delta = models.DecimalField(max_digits=14, decimal_places=2)
    unknown_cost_units_delta = models.IntegerField()
    unknown_cost_sales_delta = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["order_line_id"], name="cost_change_line_idx")]

    def __str__(self):
        return f"{self.quantity} of line {self.order_line_id} at PO cost"
