from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import OrderStatus, RiskLevel
from orders.risk import assess, order_risk_assess
from tests.factories import OrderFactory, address_snapshot

pytestmark = pytest.mark.django_db


def codes(signals):
    return {s["code"] for s in signals}


def test_a_plain_order_is_low_risk_with_no_signals():
    order = OrderFactory(total=Decimal("40.00"))
    assert assess(order) == (RiskLevel.LOW, [])


def test_billing_and_shipping_in_different_countries():
    order = OrderFactory(shipping_address=address_snapshot(country="NG"))
    level, signals = assess(order)
    assert codes(signals) == {"address_country_mismatch"}
    assert level == RiskLevel.MEDIUM


def test_a_different_street_in_the_same_country_is_a_smaller_signal():
    order = OrderFactory(shipping_address=address_snapshot(line1="9 Other Rd"))
    level, signals = assess(order)
    assert codes(signals) == {"address_mismatch"} and level == RiskLevel.LOW


def test_first_order_of_high_value():
    order = OrderFactory(total=Decimal("900.00"))
    assert codes(assess(order)[1]) == {"first_order_high_value"}


def test_value_far_above_the_customers_history():
    for _ in range(3):
        OrderFactory(
            customer_email="ada@example.com",
            total=Decimal("30.00"),
            placed_at=timezone.now() - timedelta(days=30),
            status=OrderStatus.COMPLETE,
        )
    order = OrderFactory(customer_email="ADA@example.com", total=Decimal("150.00"))
    signals = assess(order)[1]
    assert codes(signals) == {"value_above_history"}
    assert "5.0× the average of 3 earlier orders" in signals[0]["detail"]


def test_velocity_by_email_ip_and_card_within_a_day():
    now = timezone.now()
    for i in range(5):
        OrderFactory(
            customer_email=f"other{i}@example.com" if i else "fast@example.com",
            client_ip="203.0.113.9",
            card_fingerprint="fp_1",
            placed_at=now - timedelta(hours=i + 1),
            total=Decimal("20.00"),
        )
    OrderFactory(customer_email="fast@example.com", placed_at=now - timedelta(hours=2))
    OrderFactory(customer_email="fast@example.com", placed_at=now - timedelta(hours=3))
    # Outside the 24-hour window: does not count.
    OrderFactory(client_ip="203.0.113.9", placed_at=now - timedelta(days=3))
    order = OrderFactory(
        customer_email="fast@example.com",
        client_ip="203.0.113.9",
        card_fingerprint="fp_1",
        placed_at=now,
        total=Decimal("20.00"),
    )
    level, signals = assess(order)
    assert {"velocity_email", "velocity_ip", "velocity_card"} <= codes(signals)
    assert level == RiskLevel.HIGH


def test_gateway_avs_and_cvv_failures_raise_the_rating_and_are_kept():
    order = OrderFactory(total=Decimal("40.00"))
    order_risk_assess(order=order, avs="mismatch", cvv="mismatch")
    order.refresh_from_db()
    assert order.risk_level == RiskLevel.HIGH
    assert codes(order.risk_signals) == {"avs_mismatch", "cvv_mismatch"}
    order_risk_assess(order=order)  # re-assessed later: the gateway's results stay
    order.refresh_from_db()
    assert codes(order.risk_signals) == {"avs_mismatch", "cvv_mismatch"}
