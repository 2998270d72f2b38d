"""What every gateway does for us: charge, refund, and read its signed notifications."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


class GatewayTimeout(Exception):
    """The gateway did not answer in time: nothing is known about the charge."""


class GatewayUnavailable(Exception):
    """The gateway refused the request or answered with an error (not a decline)."""


class InvalidNotification(Exception):
    """A notification that is forged, stale or malformed: rejected, nothing changed."""


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    transaction_id: str = ""
    authorization_code: str = ""
    decline_code: str = ""
    message: str = ""
    avs: str = ""  # "match", "partial", "mismatch" or "" when unknown
    cvv: str = ""  # "match", "mismatch" or ""


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    refund_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class NotificationEvent:
    """A verified notification, in our terms."""

    event_id: str
    kind: str  # "paid", "declined", "refunded" or "other"
    event_type: str  # the gateway's own name for it
    order_number: int | None
    amount: Decimal | None = None
    transaction_id: str = ""
    authorization_code: str = ""
    message: str = ""
    avs: str = ""
    cvv: str = ""


class GatewayClient(Protocol):
    def charge(
        self, *, amount: Decimal, currency: str, token: str, order_number: int, idempotency_key: str
    ) -> ChargeResult: ...

    def refund(
        self, *, transaction_id: str, amount: Decimal, idempotency_key: str
    ) -> RefundResult: ...

    def parse_notification(
        self, *, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> NotificationEvent:
        """Verify the signature over the raw body (constant time) and the timestamp, then
        parse. Raises InvalidNotification otherwise."""
        ...
