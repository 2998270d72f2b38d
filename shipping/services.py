"""Tracking-number checks and shipping prices."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from . import carriers
from .carriers import KNOWN_CARRIERS, ValidationResult
from .models import Carrier, ShippingMethod


def tracking_check(*, carrier: Carrier, number: str) -> ValidationResult:
    """Check a tracking number for `carrier` without raising: the result says what is wrong.

    A known carrier's number must have its published format and check digit, and comes back
    normalized (no spaces or hyphens, upper case); any other courier takes any non-empty
    reference of at most 100 characters, trimmed.
    """
    if carrier.is_known:
        return carriers.validate(carrier.code, number)
    return carriers.validate_reference(number, courier=carrier.name)


def shipping_method_price(*, method: ShippingMethod, subtotal: Decimal) -> Decimal:
    """What `method` costs for an order of `subtotal`: nothing when the subtotal is at least the
    method's free-from threshold, else its flat price. Exact: Decimal in, Decimal quantized to
    the store currency's places out."""
    if not isinstance(subtotal, Decimal):
        raise TypeError(f"subtotal must be a Decimal, not {type(subtotal).__name__}.")
    free_from = method.free_from_subtotal
    price = Decimal(0) if free_from is not None and subtotal >= free_from else method.price
    return price.quantize(Decimal(1).scaleb(-settings.STORE_CURRENCY_PLACES), ROUND_HALF_UP)


def known_carriers_ensure() -> None:
    """The built-in carriers exist (run after every migrate, and after a test flush): created
    with their default tracking pages when missing, never overwriting what an admin changed."""
    for known in KNOWN_CARRIERS.values():
        Carrier.objects.get_or_create(
            code=known.code,
            defaults={"name": known.name, "tracking_url_template": known.tracking_url_template},
        )
