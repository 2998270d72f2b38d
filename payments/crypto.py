"""Gateway credentials are stored encrypted (Fernet), keyed from GATEWAY_ENCRYPTION_KEY or,
if unset, derived from SECRET_KEY: rotating that key means re-entering the credentials."""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.GATEWAY_ENCRYPTION_KEY or base64.urlsafe_b64encode(
        hashlib.sha256(f"backoffice.payments:{settings.SECRET_KEY}".encode()).digest()
    )
    return Fernet(key)


def encrypt(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError(
            "The gateway's credentials cannot be read with this SECRET_KEY: enter them again."
        ) from exc


def masked(value: str, visible: int = 4) -> str:
    """A secret as the admin sees it again: never more than its last few characters."""
    if not value:
        return ""
    return "•" * 8 + (value[-visible:] if len(value) > visible * 3 else "")
