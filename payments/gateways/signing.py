"""The signature scheme both our gateways use for their notifications (Stripe's):
a header `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, checked in constant time,
within five minutes either way of our clock.

Stricter than the `stripe` package where it is lenient: a timestamp too far in the future is
refused too (a captured message cannot be pre-dated to outlive the window), a header must carry
exactly one timestamp made of digits, and every item must be `key=value`. Whatever the package
rejects, this rejects too.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from datetime import datetime

from .base import InvalidNotification

TOLERANCE_SECONDS = 300
_DIGITS = re.compile(r"[0-9]{1,12}")


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header a gateway would send with `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret=secret, timestamp=t, body=body)}"


def header_value(headers: Mapping[str, str], name: str) -> str:
    """A header, whatever the case of its name (Django's request.headers, a plain dict)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def verify(*, header: str, body: bytes, secret: str, now: datetime) -> None:
    """Raise InvalidNotification unless `header` signs `body` with `secret`, within tolerance.

    Several v1 signatures may be present (the gateway signs with old and new secrets while
    one is rotated): any one matching is enough.
    """
    if not secret:
        raise InvalidNotification("the gateway has no webhook secret configured")
    if not header:
        raise InvalidNotification("no signature header")
    timestamps, signatures = [], []
    for item in header.split(","):
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidNotification("malformed signature header")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not _DIGITS.fullmatch(timestamps[0]):
        raise InvalidNotification("malformed signature header: one numeric t= is required")
    if not signatures:
        raise InvalidNotification("no v1 signature")
    timestamp = int(timestamps[0])
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    # Compare every candidate, so the time taken does not tell which one (if any) was close.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise InvalidNotification("signature does not match")
    age = now.timestamp() - timestamp
    if age > TOLERANCE_SECONDS:
        raise InvalidNotification(f"timestamp {age:.0f} s old (tolerance {TOLERANCE_SECONDS} s)")
    if age < -TOLERANCE_SECONDS:
        raise InvalidNotification(
            f"timestamp {-age:.0f} s in the future (tolerance {TOLERANCE_SECONDS} s)"
        )
