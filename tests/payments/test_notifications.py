import logging
import time
from decimal import Decimal

import pytest
import stripe
from django.test import Client

from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from orders.services import order_transition
from payments.gateways.base import InvalidNotification
from payments.gateways.test import (
    SIGNATURE_HEADER,
    send_test_notification,
    signed_test_notification,
)
from payments.models import Gateway, GatewayNotification, Payment
from payments.notifications import UnknownGateway, notification_receive
from payments.services import PaymentInfo, order_mark_paid
from tests.factories import OrderLineFactory, VariantFactory, order_with_lines
from tests.payments.factories import WEBHOOK_SECRET, GatewayFactory
from tests.payments.fake_stripe import stripe_event
from tests.payments.test_gateways import REJECTION_CASES, _rejections, _stripe_cases


def pending_order(stock=10, quantity=2):
    variant = VariantFactory(stock=stock, price=Decimal("10.00"))
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=variant, quantity=quantity)
    order.refresh_from_db()
    return order, variant


def receive(gateway, body, headers):
    return notification_receive(gateway_id=gateway.pk, body=body, headers=headers)


def paid_event(gateway, order, **kwargs):
    kwargs.setdefault("amount", order.total)
    return signed_test_notification(
        gateway, event_type="payment.succeeded", order_number=order.number, **kwargs
    )


def post(client, gateway, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return client.post(
        gateway.notification_path(), data=body, content_type="application/json", **extra
    )


def state(order, variant):
    order.refresh_from_db()
    variant.refresh_from_db()
    return {
        "status": order.status,
        "stock": (variant.stock, variant.units_sold),
        "payments": list(Payment.objects.filter(order=order).values_list("status", flat=True)),
        "events": order.events.count(),
        "notifications": GatewayNotification.objects.count(),
    }


@pytest.mark.django_db
def test_paid_notification_pays_the_order(test_gateway):
    order, variant = pending_order()
    body, headers = paid_event(
        test_gateway, order, transaction_id="tst_n1", authorization_code="T424242", avs="mismatch"
    )

    result = receive(test_gateway, body, headers)

    assert (result.outcome, result.duplicate) == ("paid", False)
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.authorization_code == "T424242"
    assert (variant.stock, variant.units_sold) == (8, 2)
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.transaction_id, payment.gateway) == (
        Payment.Method.NOTIFICATION,
        "tst_n1",
        test_gateway,
    )
    assert "avs_mismatch" in {s["code"] for s in order.risk_signals}
    assert order.events.filter(
        kind=OrderEvent.Kind.PAYMENT,
        message__startswith="Held for review: the card's address (AVS) check failed on the payment",
    ).exists()
    notification = GatewayNotification.objects.get()
    assert (notification.order, notification.outcome, notification.event_type) == (
        order,
        "paid",
        "payment.succeeded",
    )
    assert notification.payload["data"]["transaction_id"] == "tst_n1"
    assert order.events.filter(actor_label="Gateway notification: Test gateway").exists()


@pytest.mark.django_db
def test_a_replayed_notification_100_times_changes_nothing_after_the_first(test_gateway, client):
    order, variant = pending_order()
    body, headers = paid_event(test_gateway, order, event_id="evt_replayed")

    first = post(client, test_gateway, body, headers)
    assert first.status_code == 200 and first.json()["outcome"] == "paid"
    after_first = state(order, variant)

    for _ in range(99):
        response = post(client, test_gateway, body, headers)
        assert response.status_code == 200
        assert response.json() == {"received": True, "outcome": "paid", "duplicate": True}

    assert state(order, variant) == after_first
    assert after_first["payments"] == [Payment.Status.CAPTURED]
    assert after_first["notifications"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("case", REJECTION_CASES)
def test_bad_notifications_are_rejected_with_nothing_changed(test_gateway, client, case, caplog):
    order, variant = pending_order()
    before = state(order, variant)
    body, headers = _rejections(test_gateway)[case]

    with caplog.at_level(logging.WARNING, logger="payments.notifications"):
        response = post(client, test_gateway, body, headers)

    assert response.status_code == 400
    assert response.json() == {"error": "Notification rejected."}
    assert state(order, variant) == before
    assert "Rejected a notification" in caplog.text


@pytest.mark.django_db
def test_a_notification_signed_for_the_order_of_another_gateway_is_rejected(test_gateway):
    order, _ = pending_order()
    other = GatewayFactory(is_active=False, credentials={"webhook_secret": "whsec_other"})
    body, headers = paid_event(other, order)
    with pytest.raises(InvalidNotification):
        receive(test_gateway, body, headers)


@pytest.mark.django_db
def test_unknown_or_inactive_gateway_is_not_found(test_gateway, client):
    order, variant = pending_order()
    before = state(order, variant)
    body, headers = paid_event(test_gateway, order)
    inactive = GatewayFactory(is_active=False)

    for gateway_id in (test_gateway.pk + 1000, inactive.pk):
        response = client.post(
            f"/payments/notify/{gateway_id}/",
            data=body,
            content_type="application/json",
            HTTP_X_BACKOFFICE_TEST_SIGNATURE=headers[SIGNATURE_HEADER],
        )
        assert response.status_code == 404
        with pytest.raises(UnknownGateway):
            notification_receive(gateway_id=gateway_id, body=body, headers=headers)
    assert state(order, variant) == before


@pytest.mark.django_db
def test_the_endpoint_needs_no_login_nor_csrf_token_and_only_takes_posts(test_gateway):
    order, _ = pending_order()
    client = Client(enforce_csrf_checks=True)
    assert client.get(test_gateway.notification_path()).status_code == 405
    body, headers = paid_event(test_gateway, order)
    assert post(client, test_gateway, body, headers).status_code == 200


@pytest.mark.django_db
def test_amount_not_the_total_is_ignored_and_noted(test_gateway):
    order, _ = pending_order()
    body, headers = paid_event(test_gateway, order, amount="1.00")

    result = receive(test_gateway, body, headers)

    assert result.outcome == "ignored"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    [note] = order.events.filter(kind=OrderEvent.Kind.PAYMENT)
    assert "reported a payment of $1.00; not applied" in note.message
    assert GatewayNotification.objects.get().outcome == "ignored"


@pytest.mark.django_db
def test_unknown_order_is_stored_and_ignored(test_gateway, client):
    body, headers = signed_test_notification(
        test_gateway, event_type="payment.succeeded", order_number=987654321, amount="5.00"
    )
    response = post(client, test_gateway, body, headers)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert GatewayNotification.objects.get().order is None


@pytest.mark.django_db
def test_declined_notification_is_noted_and_the_order_stays_pending(test_gateway):
    order, _ = pending_order()
    body, headers = signed_test_notification(
        test_gateway,
        event_type="payment.failed",
        order_number=order.number,
        amount=order.total,
        message="Insufficient funds.",
    )
    result = receive(test_gateway, body, headers)
    assert result.outcome == "declined"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.events.get(kind=OrderEvent.Kind.PAYMENT).message == (
        "Payment of $20.00 declined at Test gateway: Insufficient funds."
    )


@pytest.mark.django_db
def test_paid_notification_for_an_order_paid_otherwise_is_noted(test_gateway):
    order, variant = pending_order()
    order_mark_paid(
        order_id=order.pk,
        payment=PaymentInfo(method=Payment.Method.WIRE, amount=order.total, reference="W1"),
        actor=Actor.system(),
    )
    body, headers = paid_event(test_gateway, order, transaction_id="tst_other")

    result = receive(test_gateway, body, headers)

    assert result.outcome == "already_paid"
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (8, 2)
    assert Payment.objects.filter(order=order).count() == 1
    note = order.events.filter(kind=OrderEvent.Kind.PAYMENT).last().message
    assert "tst_other" in note and "charged twice" in note


@pytest.mark.django_db
def test_refunded_notification_rolls_the_order_back_without_asking_for_a_refund(
    test_gateway, monkeypatch, django_capture_on_commit_callbacks
):
    order, variant = pending_order()
    receive(test_gateway, *paid_event(test_gateway, order, transaction_id="tst_r1"))
    scheduled = []
    monkeypatch.setattr("payments.tasks.payment_refund.delay", scheduled.append)
    body, headers = signed_test_notification(
        test_gateway,
        event_type="payment.refunded",
        order_number=order.number,
        amount=order.total,
        transaction_id="tst_r1",
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = receive(test_gateway, body, headers)

    assert result.outcome == "refunded"
    assert scheduled == []
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert (variant.stock, variant.units_sold) == (10, 0)
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.REFUNDED
    status_event = order.events.filter(kind=OrderEvent.Kind.STATUS).last()
    assert (status_event.to_status, status_event.message) == (
        OrderStatus.PENDING,
        "Refunded at the gateway",
    )


@pytest.mark.django_db
def test_refund_of_another_transaction_leaves_the_order_paid(test_gateway):
    order, _ = pending_order()
    receive(test_gateway, *paid_event(test_gateway, order, transaction_id="tst_live"))
    body, headers = signed_test_notification(
        test_gateway,
        event_type="payment.refunded",
        order_number=order.number,
        amount=order.total,
        transaction_id="tst_duplicate",
    )
    assert receive(test_gateway, body, headers).outcome == "ignored"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).status == Payment.Status.CAPTURED


@pytest.mark.django_db
def test_refund_notification_confirms_a_refund_we_asked_for(
    test_gateway, django_capture_on_commit_callbacks
):
    from payments.refunds import payment_refund_request

    order, _ = pending_order()
    receive(test_gateway, *paid_event(test_gateway, order, transaction_id="tst_c1"))
    with django_capture_on_commit_callbacks(execute=False):
        order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=Actor.system())
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.REFUND_PENDING
    body, headers = signed_test_notification(
        test_gateway,
        event_type="payment.refunded",
        order_number=order.number,
        amount=order.total,
        transaction_id="tst_c1",
    )

    assert receive(test_gateway, body, headers).outcome == "refunded"

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment_refund_request(payment_id=payment.pk) == "nothing to do"
    assert "Refund of $20.00 confirmed by Test gateway." in order.events.values_list(
        "message", flat=True
    )


@pytest.mark.django_db
def test_a_late_paid_notification_for_a_rolled_back_payment_is_not_applied(
    test_gateway, django_capture_on_commit_callbacks
):
    order, variant = pending_order()
    receive(test_gateway, *paid_event(test_gateway, order, transaction_id="tst_late"))
    with django_capture_on_commit_callbacks(execute=False):
        order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=Actor.system())

    result = receive(test_gateway, *paid_event(test_gateway, order, transaction_id="tst_late"))

    assert result.outcome == "ignored"
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PENDING and variant.stock == 10


@pytest.mark.django_db
def test_other_event_types_are_stored_and_ignored(test_gateway):
    order, _ = pending_order()
    body, headers = signed_test_notification(
        test_gateway, event_type="payment.disputed", order_number=order.number, amount="1.00"
    )
    assert receive(test_gateway, body, headers).outcome == "ignored"
    assert GatewayNotification.objects.get().event_type == "payment.disputed"


# --- Through a real HTTP server ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_send_test_notification_pays_an_order_through_a_real_server(live_server):
    gateway = GatewayFactory()
    order, variant = pending_order()
    url = live_server.url + gateway.notification_path()

    status = send_test_notification(
        gateway,
        event_type="payment.succeeded",
        order_number=order.number,
        amount=order.total,
        url=url,
        event_id="evt_live",
    )
    replay = send_test_notification(
        gateway,
        event_type="payment.succeeded",
        order_number=order.number,
        amount=order.total,
        url=url,
        event_id="evt_live",
    )

    assert (status, replay) == (200, 200)
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PAID and variant.stock == 8
    assert Payment.objects.filter(order=order).count() == 1


# --- Stripe webhooks through our endpoint --------------------------------------------------------


@pytest.mark.django_db
def test_stripe_webhook_pays_the_order_and_the_package_agrees(stripe_gateway, client):
    order, _ = pending_order()
    body = stripe_event(
        "payment_intent.succeeded",
        {
            "id": "pi_web",
            "object": "payment_intent",
            "amount": 2000,
            "amount_received": 2000,
            "currency": "usd",
            "status": "succeeded",
            "metadata": {"order_number": str(order.number)},
        },
        event_id="evt_web",
    )
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    assert stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET).id == "evt_web"

    response = post(client, stripe_gateway, body, {"Stripe-Signature": header})

    assert response.status_code == 200 and response.json()["outcome"] == "paid"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).transaction_id == "pi_web"

    stale = stripe.WebhookSignature.generate_signature_header(
        body.decode(), WEBHOOK_SECRET, int(time.time()) - 600
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale, WEBHOOK_SECRET)
    assert post(client, stripe_gateway, body, {"Stripe-Signature": stale}).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(_stripe_cases()))
def test_our_endpoint_rejects_what_the_stripe_package_rejects(client, case):
    body, header, secret = _stripe_cases()[case]
    gateway = GatewayFactory(
        kind=Gateway.Kind.STRIPE, credentials={"secret_key": "sk_test", "webhook_secret": secret}
    )
    try:
        stripe.Webhook.construct_event(body, header, secret)
        package_accepts = True
    except stripe.SignatureVerificationError:
        package_accepts = False

    response = post(client, gateway, body, {} if header is None else {"Stripe-Signature": header})

    if not package_accepts or case == "future t":
        assert response.status_code == 400
    else:
        assert response.status_code == 200
    assert GatewayNotification.objects.count() == (response.status_code == 200)


@pytest.mark.django_db
def test_refund_of_a_charge_we_undid_is_confirmed_and_the_order_stays_paid(test_gateway):
    from payments.models import PaymentAttempt

    order, _ = pending_order()
    receive(test_gateway, *paid_event(test_gateway, order, transaction_id="tst_live"))
    PaymentAttempt.objects.create(
        order=order,
        gateway=test_gateway,
        amount=order.total,
        outcome=PaymentAttempt.Outcome.APPROVED,
        transaction_id="tst_undone",
    )
    body, headers = signed_test_notification(
        test_gateway,
        event_type="payment.refunded",
        order_number=order.number,
        amount=order.total,
        transaction_id="tst_undone",
    )

    assert receive(test_gateway, body, headers).outcome == "refunded"

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).status == Payment.Status.CAPTURED
    assert order.events.last().message == (
        "Refund of the unapplied charge tst_undone confirmed by Test gateway."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{"message": "paid\x00"}, {"transaction_id": "\x00"}, {"extra": {"note\x00": 1}}],
    ids=["value", "transaction_id", "key"],
)
def test_a_signed_notification_with_a_nul_is_rejected_with_nothing_changed(
    test_gateway, client, data, caplog
):
    order, variant = pending_order()
    before = state(order, variant)
    body, headers = paid_event(test_gateway, order, **data)

    with caplog.at_level(logging.WARNING, logger="payments.notifications"):
        response = post(client, test_gateway, body, headers)

    assert response.status_code == 400
    assert response.json() == {"error": "Notification rejected."}
    assert state(order, variant) == before
    assert "a NUL character in data." in caplog.text


@pytest.mark.django_db
def test_a_signed_notification_with_a_nul_event_id_is_rejected(test_gateway, client):
    order, variant = pending_order()
    before = state(order, variant)
    body, headers = paid_event(test_gateway, order, event_id="evt_\x00")
    assert post(client, test_gateway, body, headers).status_code == 400
    assert state(order, variant) == before
