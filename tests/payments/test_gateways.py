import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import stripe

from payments.gateways import client_for
from payments.gateways.base import GatewayTimeout, GatewayUnavailable, InvalidNotification
from payments.gateways.stripe import StripeGatewayClient, from_minor_units, to_minor_units
from payments.gateways.test import SIGNATURE_HEADER, TestGatewayClient, signed_test_notification
from payments.models import Gateway
from tests.payments.factories import WEBHOOK_SECRET, GatewayFactory
from tests.payments.fake_stripe import stripe_event

pytestmark = pytest.mark.django_db


def charge(client, token, *, key="order-1-attempt-1", amount="20.00"):
    return client.charge(
        amount=Decimal(amount), currency="USD", token=token, order_number=1, idempotency_key=key
    )


def now():
    return datetime.now(UTC)


# --- The built-in test gateway -----------------------------------------------------------------


def test_client_for_picks_the_gateway_kind(stripe_gateway):
    test_gateway = GatewayFactory(kind=Gateway.Kind.TEST, is_active=False)
    assert isinstance(client_for(test_gateway), TestGatewayClient)
    assert isinstance(client_for(stripe_gateway), StripeGatewayClient)


def test_test_gateway_approves_tok_approve_with_codes_and_checks(test_gateway):
    result = charge(TestGatewayClient(test_gateway), "tok_approve")
    assert result.approved
    assert re.fullmatch(r"T\d{6}", result.authorization_code)
    assert re.fullmatch(r"tst_[0-9a-f]{24}", result.transaction_id)
    assert (result.avs, result.cvv) == ("match", "match")


@pytest.mark.parametrize(
    ("token", "approved", "code", "avs", "cvv"),
    [
        ("tok_decline", False, "card_declined", "", ""),
        ("tok_insufficient_funds", False, "insufficient_funds", "", ""),
        ("tok_avs_mismatch", True, "", "mismatch", "match"),
        ("tok_cvv_mismatch", True, "", "match", "mismatch"),
        ("tok_anything_else", False, "invalid_token", "", ""),
        ("", False, "invalid_token", "", ""),
    ],
)
def test_test_gateway_answers_from_the_token(test_gateway, token, approved, code, avs, cvv):
    result = charge(TestGatewayClient(test_gateway), token)
    assert (result.approved, result.decline_code, result.avs, result.cvv) == (
        approved,
        code,
        avs,
        cvv,
    )
    assert bool(result.transaction_id) == approved
    assert result.message


def test_test_gateway_times_out_on_tok_timeout(test_gateway):
    with pytest.raises(GatewayTimeout):
        charge(TestGatewayClient(test_gateway), "tok_timeout")


def test_test_gateway_honours_idempotency_keys(test_gateway):
    client = TestGatewayClient(test_gateway)
    first, again = charge(client, "tok_approve"), charge(client, "tok_approve")
    other = charge(client, "tok_approve", key="order-1-attempt-2")
    assert first == again
    assert other.transaction_id != first.transaction_id


def test_test_gateway_refunds_its_own_transactions_only(test_gateway):
    client = TestGatewayClient(test_gateway)
    paid = charge(client, "tok_approve")
    refund = client.refund(
        transaction_id=paid.transaction_id, amount=Decimal("20.00"), idempotency_key="refund-1"
    )
    assert refund.ok and refund.refund_id.startswith("tre_")
    foreign = client.refund(
        transaction_id="pi_123", amount=Decimal("20.00"), idempotency_key="refund-2"
    )
    assert not foreign.ok and "No such transaction" in foreign.message


def test_test_gateway_notification_parses(test_gateway):
    body, headers = signed_test_notification(
        test_gateway,
        event_type="payment.succeeded",
        order_number=1234,
        amount="12.34",
        event_id="evt_1",
        transaction_id="tst_abc",
        authorization_code="T123456",
    )
    event = TestGatewayClient(test_gateway).parse_notification(
        body=body, headers=headers, now=now()
    )
    assert (event.event_id, event.kind, event.order_number, event.amount) == (
        "evt_1",
        "paid",
        1234,
        Decimal("12.34"),
    )
    assert (event.transaction_id, event.authorization_code) == ("tst_abc", "T123456")


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [("payment.failed", "declined"), ("payment.refunded", "refunded"), ("payment.other", "other")],
)
def test_test_gateway_notification_kinds(test_gateway, event_type, kind):
    body, headers = signed_test_notification(
        test_gateway, event_type=event_type, order_number=1, amount="1.00"
    )
    event = TestGatewayClient(test_gateway).parse_notification(
        body=body, headers=headers, now=now()
    )
    assert event.kind == kind


def test_test_gateway_signature_header_name_is_case_insensitive(test_gateway):
    body, headers = signed_test_notification(
        test_gateway, event_type="payment.succeeded", order_number=1, amount="1.00"
    )
    lower = {k.lower(): v for k, v in headers.items()}
    event = TestGatewayClient(test_gateway).parse_notification(body=body, headers=lower, now=now())
    assert event.kind == "paid"


def _rejections(gateway):
    t = int(time.time())
    body, headers = signed_test_notification(
        gateway, event_type="payment.succeeded", order_number=1, amount="1.00"
    )
    good = headers[SIGNATURE_HEADER]
    signature = good.split("v1=")[1]

    def signed(payload: bytes, **kwargs):
        from payments.gateways import signing

        return payload, {
            SIGNATURE_HEADER: signing.signature_header(
                secret=WEBHOOK_SECRET, body=payload, **kwargs
            )
        }

    return {
        "forged signature": (body, {SIGNATURE_HEADER: f"t={t},v1={'0' * 64}"}),
        "wrong secret": signed_test_notification(
            gateway, event_type="payment.succeeded", order_number=1, amount="1", secret="whsec_x"
        ),
        "tampered body": (body.replace(b'"1.00"', b'"0.01"'), headers),
        "stale timestamp": signed(body, timestamp=t - 360),
        "future timestamp": signed(body, timestamp=t + 360),
        "missing header": (body, {}),
        "empty header": (body, {SIGNATURE_HEADER: ""}),
        "no timestamp": (body, {SIGNATURE_HEADER: f"v1={signature}"}),
        "no v1": (body, {SIGNATURE_HEADER: f"t={t},v0={signature}"}),
        "two timestamps": (body, {SIGNATURE_HEADER: f"t={t},t={t},v1={signature}"}),
        "not a number": (body, {SIGNATURE_HEADER: f"t=abc,v1={signature}"}),
        "garbage header": (body, {SIGNATURE_HEADER: "garbage"}),
        "not json": signed(b"{not json"),
        "no event id": signed(json.dumps({"type": "payment.succeeded", "data": {}}).encode()),
        "list body": signed(b"[1, 2]"),
        "bad order number": signed(
            json.dumps(
                {"id": "evt_1", "type": "payment.succeeded", "data": {"order_number": "x1"}}
            ).encode()
        ),
        "bad amount": signed(
            json.dumps(
                {"id": "evt_1", "type": "payment.succeeded", "data": {"amount": "NaN"}}
            ).encode()
        ),
    }


REJECTION_CASES = [
    "forged signature",
    "wrong secret",
    "tampered body",
    "stale timestamp",
    "future timestamp",
    "missing header",
    "empty header",
    "no timestamp",
    "no v1",
    "two timestamps",
    "not a number",
    "garbage header",
    "not json",
    "no event id",
    "list body",
    "bad order number",
    "bad amount",
]


@pytest.mark.parametrize("case", REJECTION_CASES)
def test_test_gateway_rejects_bad_notifications(test_gateway, case):
    body, headers = _rejections(test_gateway)[case]
    with pytest.raises(InvalidNotification):
        TestGatewayClient(test_gateway).parse_notification(body=body, headers=headers, now=now())


def test_test_gateway_accepts_timestamps_just_inside_the_tolerance(test_gateway):
    client = TestGatewayClient(test_gateway)
    for skew in (-240, 240):
        body, headers = signed_test_notification(
            test_gateway,
            event_type="payment.succeeded",
            order_number=1,
            amount="1.00",
            timestamp=int(time.time()) + skew,
        )
        assert client.parse_notification(body=body, headers=headers, now=now()).kind == "paid"


def test_a_gateway_without_a_webhook_secret_accepts_nothing(db):
    gateway = GatewayFactory(credentials={}, is_active=False)
    body, headers = signed_test_notification(
        gateway, event_type="payment.succeeded", order_number=1, amount="1.00", secret=""
    )
    with pytest.raises(InvalidNotification, match="no webhook secret"):
        TestGatewayClient(gateway).parse_notification(body=body, headers=headers, now=now())


# --- Stripe, against the local Stripe-shaped server --------------------------------------------


def test_stripe_charge_approved(stripe_gateway, fake_stripe):
    result = charge(StripeGatewayClient(stripe_gateway), "pm_card_visa", amount="12.34")
    assert result.approved
    assert result.transaction_id.startswith("pi_")
    assert re.fullmatch(r"\d{6}", result.authorization_code)
    assert (result.avs, result.cvv) == ("match", "match")
    [request] = fake_stripe.posts("/v1/payment_intents")
    params = request["params"]
    assert params["amount"] == "1234" and params["currency"] == "usd"
    assert params["payment_method"] == "pm_card_visa" and params["confirm"] == "true"
    assert params["metadata"] == {"order_number": "1"}
    assert request["headers"]["Idempotency-Key"] == "order-1-attempt-1"
    assert request["headers"]["Authorization"] == "Bearer sk_test_fake"
    assert stripe.api_key is None  # never the package's global key


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_authenticationRequired", "authentication_required"),
        ("pm_card_unknown", "resource_missing"),
    ],
)
def test_stripe_charge_declined(stripe_gateway, token, code):
    result = charge(StripeGatewayClient(stripe_gateway), token)
    assert not result.approved
    assert result.decline_code == code
    assert result.message


@pytest.mark.parametrize(
    ("token", "avs", "cvv"),
    [("pm_card_avsFail", "mismatch", "match"), ("pm_card_cvcCheckFail", "match", "mismatch")],
)
def test_stripe_charge_reads_avs_and_cvc_checks(stripe_gateway, token, avs, cvv):
    result = charge(StripeGatewayClient(stripe_gateway), token)
    assert result.approved and (result.avs, result.cvv) == (avs, cvv)


def test_stripe_charge_with_the_same_idempotency_key_is_one_payment(stripe_gateway, fake_stripe):
    client = StripeGatewayClient(stripe_gateway)
    first, again = charge(client, "pm_card_visa"), charge(client, "pm_card_visa")
    assert first.transaction_id == again.transaction_id
    assert len(fake_stripe.intents) == 1


def test_stripe_server_error_is_unavailable(stripe_gateway):
    client = StripeGatewayClient(stripe_gateway, max_network_retries=0)
    with pytest.raises(GatewayUnavailable):
        charge(client, "pm_card_serverError")


def test_stripe_no_answer_in_time_is_a_timeout(stripe_gateway):
    client = StripeGatewayClient(stripe_gateway, timeout=0.3, max_network_retries=0)
    with pytest.raises(GatewayTimeout):
        charge(client, "pm_card_slow")


def test_stripe_unreachable_is_a_timeout(db):
    gateway = GatewayFactory(
        kind=Gateway.Kind.STRIPE,
        credentials={"secret_key": "sk_test_x", "api_base": "http://127.0.0.1:9"},
    )
    with pytest.raises(GatewayTimeout):
        charge(StripeGatewayClient(gateway, max_network_retries=0), "pm_card_visa")


def test_stripe_refund(stripe_gateway, fake_stripe):
    client = StripeGatewayClient(stripe_gateway)
    paid = charge(client, "pm_card_visa")
    refund = client.refund(
        transaction_id=paid.transaction_id, amount=Decimal("20.00"), idempotency_key="refund-7"
    )
    assert refund.ok and refund.refund_id.startswith("re_")
    [request] = fake_stripe.posts("/v1/refunds")
    assert request["params"] == {"payment_intent": paid.transaction_id}
    assert request["headers"]["Idempotency-Key"] == "refund-7"
    # A retry with the same key is the same refund; another key finds it refunded already.
    again = client.refund(
        transaction_id=paid.transaction_id, amount=Decimal("20.00"), idempotency_key="refund-7"
    )
    assert again.refund_id == refund.refund_id and len(fake_stripe.refunds) == 1
    other = client.refund(
        transaction_id=paid.transaction_id, amount=Decimal("20.00"), idempotency_key="refund-8"
    )
    assert other.ok and len(fake_stripe.refunds) == 1


def test_stripe_refund_of_an_unknown_payment_fails(stripe_gateway):
    refund = StripeGatewayClient(stripe_gateway).refund(
        transaction_id="pi_missing", amount=Decimal("1.00"), idempotency_key="refund-9"
    )
    assert not refund.ok and "No such payment_intent" in refund.message


def test_minor_units():
    assert to_minor_units(Decimal("12.34"), "USD") == 1234
    assert to_minor_units(Decimal("1234"), "JPY") == 1234
    assert from_minor_units(1234, "usd") == Decimal("12.34")
    assert from_minor_units(1234, "jpy") == Decimal("1234")


# --- Stripe webhooks: our verification against the stripe package's -----------------------------


def _intent(order_number="1001", amount=2000, **fields):
    return {
        "id": "pi_123",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"order_number": order_number} if order_number else {},
        "latest_charge": "ch_123",
        **fields,
    }


def _stripe_cases() -> dict[str, tuple[bytes, str | None, str]]:
    """(body, Stripe-Signature header, secret) for every case."""
    body = stripe_event("payment_intent.succeeded", _intent(), event_id="evt_1")
    text = body.decode()
    t = int(time.time())

    def header(payload=text, secret=WEBHOOK_SECRET, timestamp=t):
        return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)

    valid = header()
    signature = valid.split("v1=")[1]
    return {
        "valid": (body, valid, WEBHOOK_SECRET),
        "valid, rotated secrets": (body, f"{valid},v1={'a' * 64}", WEBHOOK_SECRET),
        "valid, 4 minutes old": (body, header(timestamp=t - 240), WEBHOOK_SECRET),
        "wrong secret": (body, header(secret="whsec_wrong"), WEBHOOK_SECRET),
        "tampered body": (body.replace(b"2000", b"1"), valid, WEBHOOK_SECRET),
        "stale t": (body, header(timestamp=t - 360), WEBHOOK_SECRET),
        "future t": (body, header(timestamp=t + 360), WEBHOOK_SECRET),
        "t changed": (body, f"t={t + 1},v1={signature}", WEBHOOK_SECRET),
        "missing header": (body, None, WEBHOOK_SECRET),
        "empty header": (body, "", WEBHOOK_SECRET),
        "malformed header": (body, "garbage", WEBHOOK_SECRET),
        "no t": (body, f"v1={signature}", WEBHOOK_SECRET),
        "t not a number": (body, f"t=now,v1={signature}", WEBHOOK_SECRET),
        "v0 only": (body, f"t={t},v0={signature}", WEBHOOK_SECRET),
        "space after comma": (body, f"t={t}, v1={signature}", WEBHOOK_SECRET),
        "no secret configured": (body, valid, ""),
    }


def _package_accepts(body, header, secret) -> bool:
    try:
        stripe.Webhook.construct_event(body, header, secret)
    except (stripe.SignatureVerificationError, ValueError):
        return False
    assert stripe.WebhookSignature.verify_header(body, header, secret, 300)
    return True


def _we_accept(db_gateway_factory, body, header, secret) -> bool:
    gateway = db_gateway_factory(secret)
    headers = {} if header is None else {"Stripe-Signature": header}
    try:
        StripeGatewayClient(gateway).parse_notification(body=body, headers=headers, now=now())
    except InvalidNotification:
        return False
    return True


@pytest.fixture
def stripe_gateway_with_secret(db):
    def make(secret):
        return GatewayFactory.build(
            kind=Gateway.Kind.STRIPE,
            credentials={"secret_key": "sk_test", "webhook_secret": secret},
        )

    return make


@pytest.mark.parametrize("case", list(_stripe_cases()))
def test_stripe_webhook_verification_agrees_with_the_stripe_package(
    case, stripe_gateway_with_secret
):
    body, header, secret = _stripe_cases()[case]
    package = _package_accepts(body, header, secret)
    ours = _we_accept(stripe_gateway_with_secret, body, header, secret)
    if case.startswith("valid"):
        assert package and ours
    elif case == "future t":
        # The package checks only the past; the issue asks for five minutes both ways.
        assert package and not ours
    else:
        assert not package and not ours


def test_stripe_events_map_to_our_kinds(stripe_gateway):
    client = StripeGatewayClient(stripe_gateway)

    def parse(event_type, obj):
        body = stripe_event(event_type, obj)
        header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
        return client.parse_notification(body=body, headers={"stripe-signature": header}, now=now())

    paid = parse("payment_intent.succeeded", _intent())
    assert (paid.kind, paid.order_number, paid.amount, paid.transaction_id) == (
        "paid",
        1001,
        Decimal("20.00"),
        "pi_123",
    )
    failed = parse(
        "payment_intent.payment_failed",
        _intent(
            status="requires_payment_method",
            last_payment_error={"decline_code": "insufficient_funds", "message": "No money."},
        ),
    )
    assert (failed.kind, failed.message) == ("declined", "No money.")
    refunded = parse(
        "charge.refunded",
        {
            "id": "ch_123",
            "object": "charge",
            "amount": 2000,
            "amount_refunded": 2000,
            "currency": "usd",
            "payment_intent": "pi_123",
            "metadata": {"order_number": "1001"},
        },
    )
    assert (refunded.kind, refunded.transaction_id, refunded.amount) == (
        "refunded",
        "pi_123",
        Decimal("20.00"),
    )
    assert parse("customer.created", {"id": "cus_1", "object": "customer"}).kind == "other"
    assert parse("payment_intent.succeeded", _intent(order_number=None)).order_number is None
    assert parse("payment_intent.succeeded", _intent(order_number="abc")).order_number is None


def test_stripe_stale_notification_rejected_with_its_reason(stripe_gateway):
    body = stripe_event("payment_intent.succeeded", _intent())
    old = datetime.now(UTC) - timedelta(minutes=10)
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), WEBHOOK_SECRET, int(old.timestamp())
    )
    with pytest.raises(InvalidNotification, match="old"):
        StripeGatewayClient(stripe_gateway).parse_notification(
            body=body, headers={"Stripe-Signature": header}, now=now()
        )


def test_stripe_client_refuses_a_saved_api_base_outside_the_allowed_hosts(
    stripe_gateway, fake_stripe, settings
):
    """A gateway saved before the allow-list (or edited in the database) sends no secret."""
    settings.STRIPE_API_ORIGINS = ["https://api.stripe.com"]
    with pytest.raises(GatewayUnavailable, match="not one of Stripe’s hosts"):
        charge(StripeGatewayClient(stripe_gateway), "pm_card_visa")
    assert fake_stripe.requests == []
