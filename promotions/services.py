"""Every write of promotions: redeeming and releasing code uses (called by order entry inside
its placing transaction), and the Settings pages' saves."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import CodeUse, Promotion, PromotionItem, TaxRate, TaxSettings
from .pricing import MESSAGES, RefusalReason, availability, refusal
from .selectors import promotion_rule


class CodeRefused(Exception):
    """A code could not be redeemed; `reason` is a pricing.RefusalReason value."""

    def __init__(self, reason: str, message: str, code: str = ""):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.code = code


# One guarded increment: the row is updated only while it is usable and has uses left, so two
# orders racing for the last use cannot both get it (the CheckConstraint backs it).
_REDEEM = """
UPDATE promotions_promotion SET uses = uses + 1
WHERE id = %s AND (usage_limit IS NULL OR uses < usage_limit)
  AND is_active AND (starts_at IS NULL OR starts_at <= %s) AND (ends_at IS NULL OR ends_at > %s)
"""


def _why_not(promotion: Promotion, now) -> CodeRefused:
    rule = promotion_rule(promotion, {})
    reason = availability(rule, now) or RefusalReason.USED_UP
    refused = refusal(rule, promotion.code, reason)
    return CodeRefused(reason.value, refused.message, promotion.label)


def _check_customer(promotion: Promotion, customer_id: int | None) -> None:
    """Under the promotion's row lock: two orders of one customer wait for each other here."""
    if promotion.per_customer_limit is None or customer_id is None:
        return
    held = CodeUse.objects.filter(
        promotion_id=promotion.pk, customer_id=customer_id, released_at__isnull=True
    ).count()
    if held >= promotion.per_customer_limit:
        reason = RefusalReason.NOT_FOR_CUSTOMER
        message = MESSAGES[reason].format(
            code=promotion.label, per_customer=promotion.per_customer_limit
        )
        raise CodeRefused(reason.value, message, promotion.label)


@transaction.atomic
def code_uses_redeem(*, code_ids: Sequence[int], customer_id: int | None, order_id: int) -> None:
    """Count one use of each promotion (codes and picked product promotions) for this order.

    Inside the caller's placing transaction. Promotions are locked in id order (no deadlocks
    between two orders using the same codes); a per-customer limit is checked under that lock;
    each use is one guarded UPDATE. Raises CodeRefused (nothing of this call written) when a
    promotion is used up, switched off, out of its dates, or the customer's uses are taken;
    the caller rolls back."""
    now = timezone.now()
    for promotion_id in sorted(set(code_ids)):
        promotion = Promotion.objects.select_for_update().filter(pk=promotion_id).first()
        if promotion is None:
            raise CodeRefused(RefusalReason.UNKNOWN.value, "That promotion no longer exists.")
        _check_customer(promotion, customer_id)
        with connection.cursor() as cursor:
            cursor.execute(_REDEEM, [promotion_id, now, now])
            if cursor.rowcount == 0:
                raise _why_not(promotion, now)
        CodeUse.objects.create(
            promotion_id=promotion_id,
            code=promotion.code,
            customer_id=customer_id,
            order_id=order_id,
            used_at=now,
        )


@transaction.atomic
def code_uses_release(*, order_id: int) -> int:
    """Give back the uses of an order cancelled before it was paid; returns how many. Safe to
    call twice: a released use is not released again."""
    uses = list(
        CodeUse.objects.select_for_update()
        .filter(order_id=order_id, released_at__isnull=True)
        .order_by("promotion_id")
    )
    for use in uses:
        Promotion.objects.filter(pk=use.promotion_id, uses__gt=0).update(uses=F("uses") - 1)
    now = timezone.now()
    CodeUse.objects.filter(pk__in=[u.pk for u in uses]).update(released_at=now)
    return len(uses)


@dataclass(frozen=True)
class ItemSpec:
    variant_id: int
    quantity: int
    unit_discount: object


@transaction.atomic
def promotion_save(
    *,
    promotion: Promotion,
    products: Sequence[int] = (),
    variants: Sequence[int] = (),
    items: Sequence[ItemSpec] | None = None,
) -> Promotion:
    """Create or update a promotion (validated by its form) with its targets, and for a
    product promotion its items (replacing the old ones). `uses` is never written here."""
    if promotion.pk:
        Promotion.objects.select_for_update().filter(pk=promotion.pk).first()
        promotion.save(update_fields=[f.attname for f in _editable()])
    else:
        promotion.save()
    promotion.products.set(products)
    promotion.variants.set(variants)
    if items is not None:
        promotion.items.all().delete()
        PromotionItem.objects.bulk_create(
            PromotionItem(
                promotion=promotion,
                variant_id=i.variant_id,
                quantity=i.quantity,
                unit_discount=i.unit_discount,
            )
            for i in items
        )
    return promotion


def _editable():
    skip = {"id", "uses", "created_at"}
    return [f for f in Promotion._meta.concrete_fields if f.name not in skip]


@transaction.atomic
def promotion_deactivate(*, promotion_id: int) -> Promotion:
    """Switch a promotion off: it is refused from now on; orders that used it keep it."""
    promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
    promotion.is_active = False
    promotion.save(update_fields=["is_active", "updated_at"])
    return promotion


@transaction.atomic
def tax_rate_save(*, tax_rate: TaxRate) -> TaxRate:
    """Create or update a tax rate (validated by its form: one per country and region)."""
    tax_rate.country = tax_rate.country.upper()
    tax_rate.region = tax_rate.region.strip()
    tax_rate.save()
    return tax_rate


@transaction.atomic
def tax_rate_delete(*, tax_rate_id: int) -> None:
    """Orders keep the tax they were placed with; only future quotes change."""
    TaxRate.objects.filter(pk=tax_rate_id).delete()


@transaction.atomic
def tax_settings_update(*, tax_shipping: bool) -> TaxSettings:
    settings = TaxSettings.load()
    settings.tax_shipping = tax_shipping
    settings.save(update_fields=["tax_shipping"])
    return settings
