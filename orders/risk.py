"""Fraud review: a low/medium/high rating with the signals behind it (seed 002, step 3).

Assessed when the order arrives and again when the gateway reports its AVS/CVV checks. Each
signal carries points; the rating is the band the total falls in. The signals are kept on the
order so staff see why, not just what.
"""

import operator
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal
from functools import reduce

from django.db import transaction
from django.db.models import Avg, Count, Q

from .models import Order, OrderStatus, RiskLevel

MEDIUM_FROM = 25
HIGH_FROM = 50
WINDOW = timedelta(hours=24)
FIRST_ORDER_HIGH_VALUE = Decimal("500")


@dataclass(frozen=True)
class Signal:
    code: str
    label: str
    detail: str
    points: int


def _address_key(address: dict) -> tuple:
    fields = ("line1", "postal_code", "country")
    return tuple(" ".join(str(address.get(f, "")).lower().split()) for f in fields)


def _address_signals(order: Order) -> list[Signal]:
    billing, shipping = order.billing_address or {}, order.shipping_address or {}
    if not billing or not shipping:
        return []
    if billing.get("country", "").upper() != shipping.get("country", "").upper():
        return [
            Signal(
                "address_country_mismatch",
                "Billing and shipping countries differ",
                f"Billing {billing.get('country', '?')}, shipping {shipping.get('country', '?')}.",
                30,
            )
        ]
    if _address_key(billing) != _address_key(shipping):
        return [
            Signal(
                "address_mismatch",
                "Billing and shipping addresses differ",
                "Same country, different address.",
                15,
            )
        ]
    return []


def _history_and_velocity(order: Order) -> list[Signal]:
    """One query: the buyer's earlier orders and the last day's orders from the same email,
    IP address or card, each served by its own index (BitmapOr)."""
    since = order.placed_at - WINDOW
    same_email = Q(customer_email__iexact=order.customer_email)
    # Velocity is counted only by what the order carries: no IP or card, no such count.
    velocity = {"email_24h": same_email}
    if order.client_ip:
        velocity["ip_24h"] = Q(client_ip=order.client_ip)
    if order.card_fingerprint:
        velocity["card_24h"] = Q(card_fingerprint=order.card_fingerprint)
    recent = Q(placed_at__gte=since, placed_at__lte=order.placed_at)
    kept = same_email & ~Q(status=OrderStatus.CANCELLED)
    facts = (
        Order.objects.filter(
            # every earlier order of the buyer, and the last day's by IP or card
            reduce(operator.or_, (q & recent for q in velocity.values()), same_email)
        )
        .exclude(pk=order.pk)  # an unsaved order (pk None) excludes nothing
        .aggregate(
            history=Count("id", filter=kept),
            average=Avg("total", filter=kept),
            **{key: Count("id", filter=recent & q) for key, q in velocity.items()},
        )
    )
    signals = []
    if facts["history"] == 0 and order.total >= FIRST_ORDER_HIGH_VALUE:
        signals.append(
            Signal(
                "first_order_high_value",
                "First order, high value",
                f"No earlier orders from this email; this one is {order.total}.",
                15,
            )
        )
    elif facts["history"] and facts["average"] and order.total > 3 * facts["average"]:
        ratio = order.total / facts["average"]
        signals.append(
            Signal(
                "value_above_history",
                "Far above this customer's usual",
                f"{ratio:.1f}× the average of {facts['history']} earlier orders.",
                25,
            )
        )
    for key, label, bands in (
        ("email_24h", "email address", ((5, 35), (3, 20))),
        ("ip_24h", "IP address", ((8, 30), (4, 15))),
        ("card_24h", "card", ((4, 35), (2, 20))),
    ):
        count = facts.get(key, 0)
        for threshold, points in bands:
            if count >= threshold:
                signals.append(
                    Signal(
                        f"velocity_{key.removesuffix('_24h')}",
                        f"Many orders from this {label}",
                        f"{count} other orders in the last 24 hours.",
                        points,
                    )
                )
                break
    return signals


GATEWAY_RESULTS = {
    ("avs", "mismatch"): Signal(
        "avs_mismatch",
        "Address check (AVS) failed",
        "The card issuer does not know this billing address.",
        30,
    ),
    ("avs", "partial"): Signal(
        "avs_partial",
        "Address check (AVS) partly matched",
        "Street or postal code did not match.",
        10,
    ),
    ("cvv", "mismatch"): Signal(
        "cvv_mismatch", "Security code (CVV) failed", "The card's security code was wrong.", 40
    ),
}


def level_for(points: int) -> str:
    if points >= HIGH_FROM:
        return RiskLevel.HIGH
    if points >= MEDIUM_FROM:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def assess(order: Order, *, avs: str = "", cvv: str = "") -> tuple[str, list[dict]]:
    signals = [*_address_signals(order), *_history_and_velocity(order)]
    for check, result in (("avs", avs), ("cvv", cvv)):
        if (check, result) in GATEWAY_RESULTS:
            signals.append(GATEWAY_RESULTS[(check, result)])
    level = level_for(sum(s.points for s in signals))
    return level, [asdict(s) for s in signals]


@transaction.atomic
def order_risk_assess(*, order: Order, avs: str = "", cvv: str = "") -> Order:
    """Rate the order and keep the signals behind the rating on it. AVS/CVV results come from
    the gateway ("match", "partial", "mismatch"); the ones already on the order are kept."""
    previous = {s["code"] for s in order.risk_signals or []}
    if not avs:
        avs = (
            "mismatch"
            if "avs_mismatch" in previous
            else ("partial" if "avs_partial" in previous else "")
        )
    if not cvv:
        cvv = "mismatch" if "cvv_mismatch" in previous else ""
    order.risk_level, order.risk_signals = assess(order, avs=avs, cvv=cvv)
    Order.objects.filter(pk=order.pk).update(
        risk_level=order.risk_level, risk_signals=order.risk_signals
    )
    return order
