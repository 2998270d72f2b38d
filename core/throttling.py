"""Who the client is behind our proxies, and a counter that says "enough" per key and window:
the one mechanism behind the tracking lookup's limits, password-reset requests and (for the
address) django-axes' sign-in lockout."""

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address. Behind TRUSTED_PROXY_COUNT proxies that each append the address
    they received from to TRUSTED_PROXY_HEADER, it is the entry that many places from the
    right: entries further left were sent by the client and prove nothing."""
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if count <= 0:
        return remote
    header = "HTTP_" + settings.TRUSTED_PROXY_HEADER.upper().replace("-", "_")
    entries = [e.strip() for e in request.META.get(header, "").split(",") if e.strip()]
    if not entries:
        return remote
    return entries[-count] if len(entries) >= count else entries[0]


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt under `key`; False once `limit` attempts were made in the window
    (which starts at the key's first attempt)."""
    key = f"throttle:{key}"
    cache.add(key, 0, timeout=window)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        attempts = 1
    return attempts <= limit
