"""The built-in test gateway: answers like a real gateway from the card token it is given.

Documented test tokens (put one on an order as its payment token):

| token                    | answer                                                   |
|--------------------------|----------------------------------------------------------|
| `tok_approve`            | approved; AVS and CVV match                              |
| `tok_decline`            | declined, `card_declined`                                |
| `tok_insufficient_funds` | declined, `insufficient_funds`                           |
| `tok_avs_mismatch`       | approved, but the billing address does not match (AVS)  |
| `tok_cvv_mismatch`       | approved, but the security code does not match (CVV)    |
| `tok_timeout`            | no answer: raises GatewayTimeout                         |
| anything else            | declined, `invalid_token`                                |

Like a real gateway it honours idempotency keys: the same key always gives the same
transaction id and authorization code, so a retried request is one charge, not two. Its
notifications are signed like Stripe's, under its own header:
`X-Backoffice-Test-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
gateway's webhook secret. Credentials: `{"webhook_secret": "..."}`.
"""

import hashlib
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ..models import Gateway
from . import signing
from .base import (
    ChargeResult,
    GatewayTimeout,
    InvalidNotification,
    NotificationEvent,
    RefundResult,
)

SIGNATURE_HEADER = "X-Backoffice-Test-Signature"
TRANSACTION_PREFIX = "tst_"

TOKENS = {
    "tok_approve": ChargeResult(approved=True, message="Approved.", avs="match", cvv="match"),
    "tok_decline": ChargeResult(
        approved=False, decline_code="card_declined", message="The card was declined."
    ),
    "tok_insufficient_funds": ChargeResult(
        approved=False,
        decline_code="insufficient_funds",
        message="The card has insufficient funds.",
    ),
    "tok_avs_mismatch": ChargeResult(
        approved=True,
        message="Approved; the billing address did not match.",
        avs="mismatch",
        cvv="match",
    ),
    "tok_cvv_mismatch": ChargeResult(
        approved=True,
        message="Approved; the security code did not match.",
        avs="match",
        cvv="mismatch",
    ),
}
INVALID_TOKEN = ChargeResult(
    approved=False, decline_code="invalid_token", message="The card token is not valid."
)

EVENT_KINDS = {
    "payment.succeeded": "paid",
    "payment.failed": "declined",
    "payment.refunded": "refunded",
}


class TestGatewayClient:
    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.credentials = gateway.credentials

    def _digest(self, *parts: str) -> str:
        return hashlib.sha256(":".join([str(self.gateway.pk), *parts]).encode()).hexdigest()

    def charge(
        self, *, amount: Decimal, currency: str, token: str, order_number: int, idempotency_key: str
    ) -> ChargeResult:
        if token == "tok_timeout":
            raise GatewayTimeout("The test gateway did not answer (tok_timeout).")
        answer = TOKENS.get(token, INVALID_TOKEN)
        if not answer.approved:
            return answer
        digest = self._digest("charge", idempotency_key)
        return ChargeResult(
            approved=True,
            transaction_id=f"{TRANSACTION_PREFIX}{digest[:24]}",
            authorization_code=f"T{int(digest[24:34], 16) % 1_000_000:06d}",
            message=answer.message,
            avs=answer.avs,
            cvv=answer.cvv,
        )

    def refund(self, *, transaction_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        if not transaction_id.startswith(TRANSACTION_PREFIX):
            return RefundResult(ok=False, message=f"No such transaction: {transaction_id}.")
        digest = self._digest("refund", idempotency_key)
        return RefundResult(ok=True, refund_id=f"tre_{digest[:24]}", message="Refunded.")

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
            event = json.loads(body)
            data = event["data"]
            event_id, event_type = event["id"], event["type"]
            if not (isinstance(event_id, str) and event_id and isinstance(event_type, str)):
                raise ValueError("id and type must be strings")
            number = data.get("order_number")
            amount = data.get("amount")
            return NotificationEvent(
                event_id=event_id,
                kind=EVENT_KINDS.get(event_type, "other"),
                event_type=event_type,
                order_number=None if number is None else _whole_number(number),
                amount=None if amount is None else _amount(amount),
                transaction_id=str(data.get("transaction_id") or ""),
                authorization_code=str(data.get("authorization_code") or ""),
                message=str(data.get("message") or ""),
                avs=str(data.get("avs") or ""),
                cvv=str(data.get("cvv") or ""),
            )
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise InvalidNotification(f"malformed body: {exc}") from exc


def _amount(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"amount {value!r} is not a decimal string")
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise ValueError(f"amount {value!r} is not a number")
    return amount


def _whole_number(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"order_number {value!r} is not a number")
    return int(value)


def signed_test_notification(
    gateway: Gateway,
    *,
    event_type: str,
    order_number: int,
    amount: Decimal | str,
    event_id: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
    **data,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers the test gateway sends for an event (`data` adds or overrides
    fields such as transaction_id, avs, cvv, message). `secret` signs with another secret
    than the gateway's, as a forger would."""
    if event_type == "payment.succeeded":
        digest = secrets.token_hex(12)
        data.setdefault("transaction_id", f"{TRANSACTION_PREFIX}{digest}")
        data.setdefault("authorization_code", f"T{int(digest[:8], 16) % 1_000_000:06d}")
        data.setdefault("avs", "match")
        data.setdefault("cvv", "match")
    body = json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "type": event_type,
            "data": {"order_number": order_number, "amount": f"{Decimal(amount):.2f}", **data},
        }
    ).encode()
    key = gateway.credentials.get("webhook_secret", "") if secret is None else secret
    header = signing.signature_header(secret=key, body=body, timestamp=timestamp)
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: header}


def send_test_notification(
    gateway: Gateway,
    *,
    event_type: str,
    order_number: int,
    amount: Decimal | str,
    url: str,
    event_id: str | None = None,
    timeout: float = 10,
    **data,
) -> int:
    """POST a signed notification to `url` over HTTP, as the gateway would; returns the
    HTTP status our endpoint answered."""
    body, headers = signed_test_notification(
        gateway,
        event_type=event_type,
        order_number=order_number,
        amount=amount,
        event_id=event_id,
        **data,
    )
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"Not an HTTP URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
