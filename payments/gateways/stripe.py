"""Stripe, through the official `stripe` package: PaymentIntents to charge, Refunds to give the
money back, webhooks verified with Stripe's signature scheme.

Each call builds its own `StripeClient` from the gateway's credentials
(`{"secret_key", "webhook_secret", "api_base"?}`); the package's global `stripe.api_key` is
never set, so two gateways (or a test against a local server, through `api_base`) never mix.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from ..models import Gateway
from . import signing
from .base import (
    ChargeResult,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidNotification,
    NotificationEvent,
    RefundResult,
)

SIGNATURE_HEADER = "Stripe-Signature"
# Currencies Stripe counts in whole units (no cents), from Stripe's documentation.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
EVENT_KINDS = {
    "payment_intent.succeeded": "paid",
    "payment_intent.payment_failed": "declined",
    "charge.refunded": "refunded",
}
CHECKS = {"pass": "match", "fail": "mismatch"}


def api_base_allowed(url: str) -> bool:
    """Whether the secret key may be sent to this API base: the scheme and host of one of
    settings.STRIPE_API_ORIGINS (Stripe's own; the tests add their local fake server). An
    origin without a port allows any port of that host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    for origin in settings.STRIPE_API_ORIGINS:
        allowed = urlsplit(origin)
        if (parts.scheme, parts.hostname) == (allowed.scheme, allowed.hostname) and (
            allowed.port is None or allowed.port == port
        ):
            return True
    return False


def to_minor_units(amount: Decimal, currency: str) -> int:
    exponent = 0 if currency.upper() in ZERO_DECIMAL else 2
    return int((amount * 10**exponent).to_integral_value())


def from_minor_units(value: int, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"amount {value!r} is not a whole number of minor units")
    exponent = 0 if currency.upper() in ZERO_DECIMAL else 2
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def _avs(checks: Mapping) -> str:
    results = {
        CHECKS.get(checks.get(name) or "")
        for name in ("address_line1_check", "address_postal_code_check")
    } - {None}
    if not results:
        return ""
    return results.pop() if len(results) == 1 else "partial"


def _charge_result(intent: dict) -> ChargeResult:
    """What a PaymentIntent Stripe answered a charge with says: approved only if it succeeded,
    with the card's authorization code and AVS/CVC checks."""
    if intent["status"] != "succeeded":
        return ChargeResult(
            approved=False,
            transaction_id=intent["id"],
            decline_code="authentication_required"
            if intent["status"] == "requires_action"
            else intent["status"],
            message="The card needs the customer's authentication: ask them to pay on the store."
            if intent["status"] == "requires_action"
            else f"Stripe left the payment {intent['status'].replace('_', ' ')}.",
        )
    charge = intent.get("latest_charge")
    card = {}
    authorization_code = ""
    if isinstance(charge, Mapping):
        authorization_code = charge.get("authorization_code") or ""
        details = charge.get("payment_method_details") or {}
        card = details.get("card") or {}
    checks = card.get("checks") or {}
    return ChargeResult(
        approved=True,
        transaction_id=intent["id"],
        authorization_code=authorization_code,
        message="Approved.",
        avs=_avs(checks),
        cvv=CHECKS.get(checks.get("cvc_check") or "", ""),
    )


class StripeGatewayClient:
    def __init__(self, gateway: Gateway, *, timeout: float = 30, max_network_retries: int = 2):
        self.gateway = gateway
        self.credentials = gateway.credentials
        self.timeout = timeout
        # Retries are safe: every request carries an idempotency key.
        self.max_network_retries = max_network_retries

    def _client(self) -> stripe.StripeClient:
        api_base = self.credentials.get("api_base")
        if api_base and not api_base_allowed(api_base):
            raise GatewayUnavailable(
                f"The gateway's API base URL {api_base} is not one of Stripe’s hosts: "
                "a store admin must correct it (and enter the secret key again)."
            )
        return stripe.StripeClient(
            self.credentials.get("secret_key", ""),
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.RequestsClient(timeout=self.timeout),
            max_network_retries=self.max_network_retries,
        )

    def charge(
        self, *, amount: Decimal, currency: str, token: str, order_number: int, idempotency_key: str
    ) -> ChargeResult:
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "payment_method": token,
            "confirm": True,
            # Staff charge a method the storefront captured: nothing may redirect the buyer.
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "description": f"Order #{order_number}",
            "metadata": {"order_number": str(order_number)},
            "expand": ["latest_charge"],
        }
        try:
            intent = self._client().v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:
            error = _error_body(exc)
            decline = error.get("decline_code") or exc.code or "card_declined"
            return ChargeResult(
                approved=False,
                decline_code=decline,
                message=exc.user_message or "The card was declined.",
                transaction_id=_intent_id(error),
            )
        except stripe.InvalidRequestError as exc:
            if exc.param != "payment_method":
                raise GatewayUnavailable(f"Stripe refused the charge: {exc.user_message}") from exc
            # The storefront's token is unknown to Stripe: the card cannot be charged.
            return ChargeResult(
                approved=False,
                decline_code=exc.code or "invalid_token",
                message=exc.user_message or "The payment method is not valid.",
            )
        except stripe.APIConnectionError as exc:
            raise GatewayTimeout(f"Stripe did not answer: {exc.user_message}") from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(f"Stripe refused the charge: {exc.user_message}") from exc
        # The package's objects are not dicts: plain data from here.
        return _charge_result(intent.to_dict())

    def refund(self, *, transaction_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        # Without an amount Stripe refunds what is left of the payment: ours are refunded whole.
        try:
            refund = self._client().v1.refunds.create(
                params={"payment_intent": transaction_id},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                return RefundResult(ok=True, message="Stripe had already refunded it.")
            return RefundResult(ok=False, message=exc.user_message or "Stripe refused the refund.")
        except stripe.APIConnectionError as exc:
            raise GatewayTimeout(f"Stripe did not answer: {exc.user_message}") from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(f"Stripe refused the refund: {exc.user_message}") from exc
        refund = refund.to_dict()
        if refund["status"] in {"failed", "canceled"}:
            reason = refund.get("failure_reason") or refund["status"]
            return RefundResult(ok=False, refund_id=refund["id"], message=f"Refund {reason}.")
        return RefundResult(ok=True, refund_id=refund["id"], message=f"Refund {refund['status']}.")

    def parse_notification(
        self, *, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> NotificationEvent:
        signing.verify(
            header=signing.header_value(headers, SIGNATURE_HEADER),
            body=body,
            secret=self.credentials.get("webhook_secret", ""),
            now=now,
        )
        try:
            return _event(body)
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise InvalidNotification(f"malformed body: {exc}") from exc


def _error_body(exc: stripe.StripeError) -> dict:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _intent_id(error: dict) -> str:
    intent = error.get("payment_intent")
    return (intent.get("id") or "") if isinstance(intent, dict) else ""


def _event(body: bytes) -> NotificationEvent:
    event = json.loads(body)
    event_id, event_type = event["id"], event["type"]
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str)):
        raise ValueError("id and type must be strings")
    kind = EVENT_KINDS.get(event_type, "other")
    obj = event["data"]["object"]
    if kind == "other":
        return NotificationEvent(
            event_id=event_id, kind=kind, event_type=event_type, order_number=None
        )
    metadata = obj.get("metadata") or {}
    number = metadata.get("order_number")
    currency = obj["currency"]
    if kind == "paid":
        amount = obj.get("amount_received") or obj["amount"]
        transaction_id = obj["id"]
        charge = obj.get("latest_charge")
        authorization_code = (
            (charge.get("authorization_code") or "") if isinstance(charge, Mapping) else ""
        )
        message = ""
    elif kind == "declined":
        amount = obj["amount"]
        transaction_id = obj["id"]
        authorization_code = ""
        error = obj.get("last_payment_error") or {}
        reason = error.get("decline_code") or error.get("code") or ""
        message = error.get("message") or reason
    else:  # refunded: a Charge, whose payment intent is our transaction id
        amount = obj["amount_refunded"]
        transaction_id = obj.get("payment_intent") or obj["id"]
        authorization_code = obj.get("authorization_code") or ""
        message = ""
    return NotificationEvent(
        event_id=event_id,
        kind=kind,
        event_type=event_type,
        # A payment someone else created on the same Stripe account carries no order of ours.
        order_number=int(number) if isinstance(number, str) and number.isdecimal() else None,
        amount=from_minor_units(amount, currency),
        transaction_id=str(transaction_id),
        authorization_code=str(authorization_code),
        message=str(message),
    )
