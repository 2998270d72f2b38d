from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from core.models import StoreSettings


class Profile(models.Model):
    """A contact: a buyer, a member of the storefront, or the store's anonymous profile."""

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # The storefront account this profile belongs to: set when the buyer was logged in.
    member_ref = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            # Prefix search (customers.selectors.profile_search): UPPER(col) LIKE 'ADA%' needs
            # text_pattern_ops to be an index range scan rather than a full scan.
            *[
                models.Index(
                    OpClass(Upper(field), name="text_pattern_ops"),
                    name=f"profile_{field}_prefix_idx",
                )
                for field in ("email", "last_name", "first_name", "company")
            ],
        ]

    def __str__(self):
        return self.full_name or self.email or f"Profile {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_member(self) -> bool:
        return bool(self.member_ref)


class Address(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(max_length=200, blank=True)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    phone = models.CharField(max_length=40, blank=True)
    is_default_shipping = models.BooleanField(default=False)
    is_default_billing = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(is_default_shipping=True),
                name="address_one_default_shipping",
            ),
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(is_default_billing=True),
                name="address_one_default_billing",
            ),
        ]

    def __str__(self):
        return ", ".join(p for p in [self.line1, self.city, self.postal_code, self.country] if p)


class CustomerSettings(StoreSettings):
    """The store's customer settings, one row (pk=1)."""

    anonymous_profile = models.ForeignKey(
        Profile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Invoices and payments of buyers who were not logged in are applied here.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "customer settings"

    def __str__(self):
        return "Customer settings"
