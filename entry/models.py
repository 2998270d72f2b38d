"""Orders being keyed in by staff (seed 003): a draft saved on the server at every step.

A draft holds choices, never commitments: it takes no stock, no code use and no order number
until `entry.services.draft_place` turns it into an order (and deletes it).
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

MONEY = {"max_digits": 12, "decimal_places": 2}


class Draft(models.Model):
    class Step(models.TextChoices):
        CONTACT = "contact", "Contact"
        ITEMS = "items", "Items"
        SHIPPING = "shipping", "Shipping details"
        REVIEW = "review", "Review"

    class Payment(models.TextChoices):
        LATER = "later", "Leave unpaid (Pending)"
        OFFLINE = "offline", "Record an offline payment"
        CHARGE = "charge", "Charge the customer's card"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_drafts"
    )
    profile = models.ForeignKey(
        "customers.Profile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Codes as typed (item codes on the items step; order and free-shipping codes on review),
    # checked by promotions' pricing each time the draft is priced.
    codes = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    ship_to_many = models.BooleanField(default=False)
    payment = models.CharField(max_length=10, choices=Payment.choices, default=Payment.LATER)
    step = models.CharField(max_length=10, choices=Step.choices, default=Step.CONTACT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="draft_owner_updated_idx")]

    def __str__(self):
        return f"Draft {self.pk}"

    def get_absolute_url(self):
        return reverse(f"entry:{self.step}", kwargs={"pk": self.pk})


class DraftLine(models.Model):
    """An item of a draft. `unit_price` is the variant's price when it was added (or last
    edited): placing refuses a draft whose prices have changed since, rather than charging a
    price nobody quoted."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    # Set on the lines a product promotion added: they go with it, and are not edited apart.
    promotion_id = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="draft_line_quantity_positive")
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class DraftDestination(models.Model):
    """An address the draft ships to, with the shipping speed chosen for it."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="destinations")
    address = models.ForeignKey("customers.Address", on_delete=models.CASCADE, related_name="+")
    shipping_method = models.ForeignKey(
        "shipping.ShippingMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "address"], name="draft_destination_unique")
        ]

    def __str__(self):
        return f"Draft {self.draft_id} to {self.address_id}"


class DraftAllocation(models.Model):
    """How many of a line go to a destination, and whether they are a gift."""

    line = models.ForeignKey(DraftLine, on_delete=models.CASCADE, related_name="allocations")
    destination = models.ForeignKey(
        DraftDestination, on_delete=models.CASCADE, related_name="allocations"
    )
    quantity = models.PositiveIntegerField()
    is_gift = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "destination"], name="draft_allocation_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="draft_allocation_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} of line {self.line_id} to {self.destination_id}"
