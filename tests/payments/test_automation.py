"""Automatic charging of new orders, and high-risk orders held from it."""

import pytest

from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus, RiskLevel
from orders.signals import order_placed
from payments.models import Payment, PaymentSettings
from tests.factories import order_with_lines
from tests.payments.factories import GatewayFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_charge(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    GatewayFactory(is_active=True)
    PaymentSettings.objects.update_or_create(pk=1, defaults={"auto_charge": True})


def place(django_capture_on_commit_callbacks, **fields) -> Order:
    order = order_with_lines(lines=1, **fields)
    with django_capture_on_commit_callbacks(execute=True):
        order_placed.send(sender=Order, order=order, actor=Actor.system("API: Storefront"))
    order.refresh_from_db()
    return order


def test_a_new_order_is_charged_by_the_worker(auto_charge, django_capture_on_commit_callbacks):
    order = place(django_capture_on_commit_callbacks, payment_token="tok_approve")
    assert order.status == OrderStatus.PAID
    payment = Payment.objects.get(order=order)
    assert payment.method == Payment.Method.GATEWAY and payment.authorization_code


def test_a_high_risk_order_is_held_for_review(auto_charge, django_capture_on_commit_callbacks):
    order = place(
        django_capture_on_commit_callbacks, payment_token="tok_approve", risk_level=RiskLevel.HIGH
    )
    assert order.status == OrderStatus.PENDING
    assert not Payment.objects.exists()
    held = order.events.get(kind=OrderEvent.Kind.PAYMENT)
    assert held.message == (
        "Held for review: high fraud risk, so it was not charged automatically."
        " Review it and charge by hand."
    )


def test_an_automatic_charge_approved_with_a_failed_check_is_held_the_same_way(
    auto_charge, django_capture_on_commit_callbacks
):
    order = place(django_capture_on_commit_callbacks, payment_token="tok_avs_mismatch")
    assert order.status == OrderStatus.PAID
    messages = list(order.events.values_list("message", flat=True))
    assert any(
        m.startswith("Held for review: the card's address (AVS) check failed") for m in messages
    )


def test_a_declined_automatic_charge_leaves_the_order_pending(
    auto_charge, django_capture_on_commit_callbacks
):
    order = place(django_capture_on_commit_callbacks, payment_token="tok_decline")
    assert order.status == OrderStatus.PENDING
    assert "declined" in order.events.filter(kind=OrderEvent.Kind.PAYMENT).last().message


def test_nothing_is_charged_when_the_setting_is_off(settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    GatewayFactory(is_active=True)
    order = place(django_capture_on_commit_callbacks, payment_token="tok_approve")
    assert order.status == OrderStatus.PENDING
    assert not order.events.exists()


def test_without_a_gateway_the_timeline_says_why(settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    PaymentSettings.objects.update_or_create(pk=1, defaults={"auto_charge": True})
    order = place(django_capture_on_commit_callbacks, payment_token="tok_approve")
    assert order.status == OrderStatus.PENDING
    message = order.events.get(kind=OrderEvent.Kind.PAYMENT).message
    assert (
        message == "Automatic charging did not charge this order: No payment gateway is configured."
    )
