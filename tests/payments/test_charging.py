import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from catalog.models import DigitalFile, SerialCode
from orders.actors import Actor
from orders.models import DownloadLink, Order, OrderEvent, OrderStatus, RiskLevel
from orders.services import order_transition
from payments.charging import NoGatewayConfigured, order_charge
from payments.gateways.base import ChargeResult, GatewayTimeout, RefundResult
from payments.gateways.test import TestGatewayClient
from payments.models import Gateway, Payment, PaymentAttempt
from payments.refunds import payment_refund_request
from payments.services import PaymentError, PaymentInfo, order_mark_paid
from tests.factories import OrderLineFactory, UserFactory, VariantFactory, order_with_lines
from tests.payments.factories import GatewayFactory


@pytest.fixture
def staff(db):
    return Actor(user=UserFactory(role="staff"))


def pending_order(*, token="tok_approve", stock=10, quantity=2, **fields):
    variant = VariantFactory(stock=stock, price=Decimal("10.00"))
    order = order_with_lines(lines=0, payment_token=token, **fields)
    OrderLineFactory(order=order, variant=variant, quantity=quantity)
    order.refresh_from_db()
    return order, variant


def payment_events(order) -> list[str]:
    return list(order.events.filter(kind=OrderEvent.Kind.PAYMENT).values_list("message", flat=True))


@pytest.mark.django_db
def test_approved_charge_pays_the_order_with_its_codes(test_gateway, staff):
    order, variant = pending_order()

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert outcome.approved and "approved" in outcome.message
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert (variant.stock, variant.units_sold) == (8, 2)
    payment = Payment.objects.get(order=order)
    assert payment.method == Payment.Method.GATEWAY
    assert payment.status == Payment.Status.CAPTURED
    assert payment.amount == order.total == Decimal("20.00")
    assert payment.gateway == test_gateway
    assert payment.transaction_id.startswith("tst_")
    assert order.authorization_code == payment.authorization_code != ""
    attempt = outcome.attempt
    assert attempt.outcome == PaymentAttempt.Outcome.APPROVED
    assert (attempt.avs_result, attempt.cvv_result) == ("match", "match")
    assert attempt.transaction_id == payment.transaction_id
    assert attempt.actor == staff.user
    assert order.risk_level == RiskLevel.LOW


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "code", "reason"),
    [
        ("tok_decline", "card_declined", "The card was declined."),
        ("tok_insufficient_funds", "insufficient_funds", "The card has insufficient funds."),
        ("tok_unknown", "invalid_token", "The card token is not valid."),
    ],
)
def test_declined_charge_leaves_the_order_pending_and_says_why(
    test_gateway, staff, token, code, reason
):
    order, variant = pending_order(token=token)

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert not outcome.approved
    assert outcome.message == f"Charge of $20.00 declined: {reason}"
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PENDING and variant.stock == 10
    assert not Payment.objects.filter(order=order).exists()
    assert outcome.attempt.outcome == PaymentAttempt.Outcome.DECLINED
    assert outcome.attempt.decline_code == code
    assert payment_events(order) == [f"Charge of $20.00 declined: {reason}"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "signal"),
    [("tok_avs_mismatch", "avs_mismatch"), ("tok_cvv_mismatch", "cvv_mismatch")],
)
def test_avs_or_cvv_mismatch_raises_the_risk(test_gateway, staff, token, signal):
    order, _ = pending_order(token=token)

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert outcome.approved
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.risk_level in {RiskLevel.MEDIUM, RiskLevel.HIGH}
    assert signal in {s["code"] for s in order.risk_signals}


@pytest.mark.django_db
def test_timeout_leaves_the_order_unchanged_and_the_retry_reuses_the_key(
    test_gateway, staff, monkeypatch
):
    order, variant = pending_order(token="tok_timeout")

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert not outcome.approved
    assert "did not answer" in outcome.message and "try again" in outcome.message
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PENDING and variant.stock == 10
    assert outcome.attempt.outcome == PaymentAttempt.Outcome.TIMEOUT
    assert payment_events(order) == [
        "The gateway (Test gateway) did not answer; nothing was charged as far as we know "
        "— try again."
    ]
    keys = []
    real_charge = TestGatewayClient.charge

    def spy(self, **kwargs):
        keys.append(kwargs["idempotency_key"])
        return real_charge(self, **{**kwargs, "token": "tok_decline"})

    monkeypatch.setattr(TestGatewayClient, "charge", spy)
    order_charge(order_id=order.pk, actor=staff)
    order_charge(order_id=order.pk, actor=staff)
    # After a timeout the gateway may have charged: the same key lets it answer with that charge.
    assert keys == [f"order-{order.number}-attempt-1", f"order-{order.number}-attempt-2"]


@pytest.mark.django_db
def test_no_gateway_configured(staff):
    order, _ = pending_order()
    Gateway.objects.update(is_active=False)
    with pytest.raises(NoGatewayConfigured, match=r"^No payment gateway is configured\.$"):
        order_charge(order_id=order.pk, actor=staff)
    assert not PaymentAttempt.objects.exists()


@pytest.mark.django_db
def test_an_inactive_gateway_is_not_used(staff):
    GatewayFactory(is_active=False)
    order, _ = pending_order()
    with pytest.raises(NoGatewayConfigured):
        order_charge(order_id=order.pk, actor=staff)


@pytest.mark.django_db
def test_an_order_without_a_token_cannot_be_charged(test_gateway, staff):
    order, _ = pending_order(token="")
    with pytest.raises(PaymentError, match="no card to charge"):
        order_charge(order_id=order.pk, actor=staff)


@pytest.mark.django_db
def test_only_pending_orders_are_charged(test_gateway, staff):
    order, _ = pending_order()
    order_charge(order_id=order.pk, actor=staff)
    with pytest.raises(PaymentError, match="only pending orders"):
        order_charge(order_id=order.pk, actor=staff)
    assert PaymentAttempt.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_charge_out_of_stock_is_refunded(test_gateway, staff, monkeypatch):
    order, variant = pending_order(stock=1, quantity=2)
    refunds = []
    monkeypatch.setattr(
        TestGatewayClient,
        "refund",
        lambda self, **kw: refunds.append(kw) or RefundResult(ok=True, refund_id="tre_1"),
    )

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert not outcome.approved
    assert "Not enough stock" in outcome.message and "refunded" in outcome.message
    assert [r["transaction_id"] for r in refunds] == [outcome.attempt.transaction_id]
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.PENDING and variant.stock == 1
    assert not Payment.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_stripe_charge_through_the_local_server(stripe_gateway, fake_stripe, staff):
    order, _ = pending_order(token="pm_card_visa")

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert outcome.approved
    payment = Payment.objects.get(order=order)
    assert payment.transaction_id in fake_stripe.intents
    [request] = fake_stripe.posts("/v1/payment_intents")
    assert request["headers"]["Idempotency-Key"] == f"order-{order.number}-attempt-1"
    assert request["params"]["amount"] == "2000"
    assert request["params"]["metadata"] == {"order_number": str(order.number)}


@pytest.mark.django_db
def test_stripe_decline_through_the_local_server(stripe_gateway, staff):
    order, _ = pending_order(token="pm_card_chargeDeclinedInsufficientFunds")
    outcome = order_charge(order_id=order.pk, actor=staff)
    assert not outcome.approved
    assert outcome.attempt.decline_code == "insufficient_funds"
    assert outcome.message == "Charge of $20.00 declined: Your card has insufficient funds."


# --- The gateway is never called inside a transaction or under a lock ---------------------------


class RecordingClient:
    """Answers approved, and records what it saw of the database while being asked."""

    def __init__(self, order_id, *, pay_first=None):
        self.order_id = order_id
        self.pay_first = pay_first
        self.seen = {}
        self.refunds = []

    def charge(self, **kwargs):
        self.seen["in_atomic_block"] = connection.in_atomic_block
        self.seen["order_row_free"] = _row_is_free(self.order_id)
        if self.pay_first:
            self.pay_first()
        return ChargeResult(
            approved=True, transaction_id="tst_recorded", authorization_code="T000001"
        )

    def refund(self, **kwargs):
        self.seen["refund_in_atomic_block"] = connection.in_atomic_block
        self.refunds.append(kwargs)
        return RefundResult(ok=True, refund_id="tre_recorded")


def _row_is_free(order_id) -> bool:
    """Can another connection lock the order row right now (FOR UPDATE NOWAIT)?"""
    result = {}

    def probe():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM orders_order WHERE id = %s FOR UPDATE NOWAIT", [order_id]
                )
            result["free"] = True
        except Exception:
            result["free"] = False
        finally:
            connections["default"].close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return result["free"]


@pytest.mark.django_db(transaction=True)
def test_the_gateway_is_asked_outside_any_transaction_or_lock(test_gateway, staff, monkeypatch):
    order, _ = pending_order()
    client = RecordingClient(order.pk)
    monkeypatch.setattr("payments.charging.client_for", lambda gateway: client)

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert outcome.approved
    assert client.seen == {"in_atomic_block": False, "order_row_free": True}


@pytest.mark.django_db(transaction=True)
def test_order_paid_meanwhile_gets_the_duplicate_charge_refunded(test_gateway, staff, monkeypatch):
    order, variant = pending_order()

    def pay_by_check():
        order_mark_paid(
            order_id=order.pk,
            payment=PaymentInfo(method=Payment.Method.CHECK, amount=order.total, reference="1001"),
            actor=staff,
        )

    client = RecordingClient(order.pk, pay_first=pay_by_check)
    monkeypatch.setattr("payments.charging.client_for", lambda gateway: client)

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert not outcome.approved
    assert outcome.message == (
        f"Order #{order.number} was already paid; the duplicate charge was refunded."
    )
    assert [r["transaction_id"] for r in client.refunds] == ["tst_recorded"]
    assert client.seen["refund_in_atomic_block"] is False
    assert Payment.objects.get(order=order).method == Payment.Method.CHECK
    variant.refresh_from_db()
    assert (variant.stock, variant.units_sold) == (8, 2)
    assert outcome.message in payment_events(order)


@pytest.mark.django_db(transaction=True)
def test_the_same_charge_applied_by_a_concurrent_click_is_not_refunded(
    test_gateway, staff, monkeypatch
):
    order, variant = pending_order()

    def other_click_applies_it():
        # The other click sent the same idempotency key, so the gateway gave it this charge.
        order_mark_paid(
            order_id=order.pk,
            payment=PaymentInfo(
                method=Payment.Method.GATEWAY,
                amount=order.total,
                transaction_id="tst_recorded",
                gateway_id=test_gateway.pk,
            ),
            actor=staff,
        )

    client = RecordingClient(order.pk, pay_first=other_click_applies_it)
    monkeypatch.setattr("payments.charging.client_for", lambda gateway: client)

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert outcome.approved and outcome.message == f"Order #{order.number} is paid by this charge."
    assert client.refunds == []
    assert Payment.objects.filter(order=order).count() == 1
    variant.refresh_from_db()
    assert variant.units_sold == 2


# --- Rollback after a gateway payment ------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_rollback_after_a_gateway_payment_refunds_it_and_restores_everything(
    test_gateway, staff, media, monkeypatch, django_capture_on_commit_callbacks
):
    shirt = VariantFactory(stock=5)
    licence = VariantFactory(stock=50, hands_out_serial_codes=True, product__is_shippable=False)
    ebook = VariantFactory(stock=20, product__is_shippable=False)
    SerialCode.objects.bulk_create([SerialCode(variant=licence, code=f"KEY-{i}") for i in range(4)])
    DigitalFile.objects.create(
        variant=ebook, title="The book", file=SimpleUploadedFile("book.pdf", b"%PDF-1.4 tiny")
    )
    order = order_with_lines(lines=0, payment_token="tok_approve")
    OrderLineFactory(order=order, variant=shirt, quantity=2)
    OrderLineFactory(order=order, variant=licence, quantity=2)
    OrderLineFactory(order=order, variant=ebook, quantity=1)
    variants = [shirt, licence, ebook]

    def snapshot():
        for v in variants:
            v.refresh_from_db()
        return {
            "stock": [(v.stock, v.units_sold) for v in variants],
            "free codes": set(
                SerialCode.objects.filter(allocated_at__isnull=True).values_list("code", flat=True)
            ),
            "live links": sum(
                link.is_live for link in DownloadLink.objects.filter(line__order=order)
            ),
        }

    before = snapshot()
    assert order_charge(order_id=order.pk, actor=staff).approved
    paid = snapshot()
    assert paid["stock"] == [(3, 2), (48, 2), (19, 1)]
    assert len(paid["free codes"]) == 2 and paid["live links"] == 1

    scheduled = []
    monkeypatch.setattr("payments.tasks.payment_refund.delay", scheduled.append)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=staff)
    payment = Payment.objects.get(order=order)
    assert scheduled == [payment.pk]
    assert payment.status == Payment.Status.REFUND_PENDING

    assert payment_refund_request(payment_id=payment.pk) == "refunded"

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refund_reference.startswith("tre_")
    # Stock and links as before; the codes handed out are retired, not back in the pool.
    assert snapshot() == {**before, "free codes": paid["free codes"]}
    assert SerialCode.objects.filter(status=SerialCode.Status.RETIRED).count() == 2
    assert DownloadLink.objects.filter(line__order=order, revoked_at__isnull=False).count() == 1
    assert "Refund of $" in payment_events(order)[-1]
    assert "confirmed by Test gateway" in payment_events(order)[-1]
    # The task running again (a redelivery) does nothing more.
    assert payment_refund_request(payment_id=payment.pk) == "nothing to do"


@pytest.mark.django_db
def test_refund_task_runs_the_refund(test_gateway, staff, django_capture_on_commit_callbacks):
    from payments.tasks import payment_refund

    order, _ = pending_order()
    order_charge(order_id=order.pk, actor=staff)
    with django_capture_on_commit_callbacks(execute=False):
        order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=staff)
    payment = Payment.objects.get(order=order)
    assert payment_refund.apply(args=[payment.pk]).get() == "refunded"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED


@pytest.mark.django_db
def test_a_refund_the_gateway_refuses_is_recorded_as_failed(test_gateway, staff):
    order, _ = pending_order()
    order_charge(order_id=order.pk, actor=staff)
    payment = Payment.objects.get(order=order)
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.REFUND_PENDING, transaction_id="unknown_txn"
    )

    result = payment_refund_request(payment_id=payment.pk)

    assert result.startswith("failed: No such transaction")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_FAILED
    assert "Refund of $20.00 failed at Test gateway" in payment_events(order)[-1]


@pytest.mark.django_db
def test_a_refund_that_times_out_raises_for_the_task_to_retry(test_gateway, staff, monkeypatch):
    order, _ = pending_order()
    order_charge(order_id=order.pk, actor=staff)
    payment = Payment.objects.get(order=order)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUND_PENDING)

    def timeout(self, **kwargs):
        raise GatewayTimeout("no answer")

    monkeypatch.setattr(TestGatewayClient, "refund", timeout)
    with pytest.raises(GatewayTimeout):
        payment_refund_request(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_PENDING


@pytest.mark.django_db
def test_refund_request_ignores_payments_not_waiting_for_one(test_gateway, staff):
    order, _ = pending_order()
    order_charge(order_id=order.pk, actor=staff)
    payment = Payment.objects.get(order=order)
    assert payment_refund_request(payment_id=payment.pk) == "nothing to do"
    assert payment_refund_request(payment_id=999_999_999) == "nothing to do"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED


@pytest.mark.django_db
def test_stripe_rollback_refund_through_the_local_server(
    stripe_gateway, fake_stripe, staff, django_capture_on_commit_callbacks
):
    order, _ = pending_order(token="pm_card_visa")
    order_charge(order_id=order.pk, actor=staff)
    with django_capture_on_commit_callbacks(execute=False):
        order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=staff)
    payment = Payment.objects.get(order=order)

    assert payment_refund_request(payment_id=payment.pk) == "refunded"

    payment.refresh_from_db()
    [refund] = fake_stripe.refunds.values()
    assert payment.refund_reference == refund["id"]
    assert refund["payment_intent"] == payment.transaction_id and refund["amount"] == 2000
    [request] = fake_stripe.posts("/v1/refunds")
    assert request["headers"]["Idempotency-Key"] == f"refund-{payment.pk}"


@pytest.mark.django_db
def test_a_free_order_captured_at_checkout_is_paid_without_a_payment_row():
    order = order_with_lines(lines=0)
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    order.refresh_from_db()
    # Nothing on it ships, so paid is done: it completes at once.
    assert order.status == OrderStatus.COMPLETE and order.first_paid_at is not None
    assert not Payment.objects.filter(order=order).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payment_method", "failed"),
    [
        ("pm_card_cvcCheckFail", "the card's CVV check failed"),
        ("pm_card_avsFail", "the card's address (AVS) check failed"),
    ],
)
def test_an_approved_charge_with_a_failed_check_says_so_and_holds_the_order(
    stripe_gateway, staff, payment_method, failed
):
    order, _ = pending_order(token=payment_method)

    outcome = order_charge(order_id=order.pk, actor=staff)

    assert outcome.approved and outcome.held == failed
    assert f"approved — but {failed}; the order is held for review" in outcome.message
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    held = f"Held for review: {failed} on an approved charge of $20.00."
    assert held in payment_events(order)


@pytest.mark.django_db
def test_an_approved_charge_whose_checks_pass_is_not_held(stripe_gateway, staff):
    order, _ = pending_order(token="pm_card_visa")
    outcome = order_charge(order_id=order.pk, actor=staff)
    assert outcome.approved and not outcome.held
    assert not any(m.startswith("Held") for m in payment_events(Order.objects.get(pk=order.pk)))
