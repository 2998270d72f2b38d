"""Store admins set up gateways: every write to a gateway's settings.

Secrets are write-only: they are stored encrypted and never shown back, so an edit that leaves
one blank keeps the saved one. At most one gateway is active (the `one_active_gateway`
constraint): activating one deactivates the others in the same transaction.
"""

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from orders.actors import Actor

from . import crypto
from .models import Gateway
from .services import PaymentError

logger = logging.getLogger(__name__)

# Each kind's credentials: the secrets (required, write-only) and the plain options.
SECRETS = {
    Gateway.Kind.TEST: ("webhook_secret",),
    Gateway.Kind.STRIPE: ("secret_key", "webhook_secret"),
}
OPTIONS = {Gateway.Kind.TEST: (), Gateway.Kind.STRIPE: ("api_base",)}
LABELS = {
    "webhook_secret": "webhook secret",
    "secret_key": "secret key",
}


class GatewaySetupError(PaymentError):
    """A gateway's settings were refused; the message is fit to show the admin."""


def _stored_credentials(gateway: Gateway) -> dict:
    try:
        return gateway.credentials
    except ValueError:
        return {}  # unreadable after a SECRET_KEY change: the admin enters them again


def _check_stripe_mode(mode: str, secret_key: str) -> None:
    live = "_live_" in secret_key[:8]
    if live and mode == Gateway.Mode.TEST:
        raise GatewaySetupError("That is a live secret key (sk_live_…) but the mode is Test.")
    if not live and mode == Gateway.Mode.LIVE:
        raise GatewaySetupError("That is a test secret key (sk_test_…) but the mode is Live.")


def _lock_gateways() -> None:
    """Serialise activations: lock every gateway row (a handful) before changing which one
    is active, so a concurrent activation sees this one's result instead of colliding."""
    list(Gateway.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _make_only_active(gateway: Gateway) -> None:
    Gateway.objects.filter(is_active=True).exclude(pk=gateway.pk).update(is_active=False)
    gateway.is_active = True


def _save(gateway: Gateway) -> None:
    try:
        with transaction.atomic():
            gateway.save()
    except IntegrityError as exc:
        # Only possible when another gateway was created active at the same moment.
        raise GatewaySetupError(
            "Another gateway was activated at the same moment: reload the page and try again."
        ) from exc


def _merged_credentials(
    kind: str, mode: str, stored: Mapping[str, str], given: Mapping[str, str]
) -> dict[str, str]:
    """The stored secrets, replaced by any given (a blank keeps the stored one), and the given
    options; GatewaySetupError if a secret is missing or a Stripe key does not match `mode`."""
    merged = {key: stored[key] for key in SECRETS[kind] if stored.get(key)}
    for key in (*SECRETS[kind], *OPTIONS[kind]):
        value = (given.get(key) or "").strip()
        if value:
            merged[key] = value
    missing = [LABELS[key] for key in SECRETS[kind] if not merged.get(key)]
    if missing:
        raise GatewaySetupError(f"Enter the {' and the '.join(missing)}.")
    if kind == Gateway.Kind.STRIPE:
        _check_stripe_mode(mode, merged["secret_key"])
    return merged


@transaction.atomic
def gateway_save(
    *,
    gateway_id: int | None,
    kind: str,
    name: str,
    mode: str,
    is_active: bool,
    credentials: Mapping[str, str],
    actor: Actor,
) -> Gateway:
    """Create (gateway_id None) or update a gateway.

    Guarantees: its stored credentials are complete for its kind and encrypted; a blank secret
    keeps the saved one, a given one replaces it; a Stripe key matches the mode; its kind never
    changes; if it is active, every other gateway is inactive when this commits.
    """
    if kind not in SECRETS:
        raise GatewaySetupError(f"“{kind}” is not a gateway type.")
    name = name.strip()
    if not name:
        raise GatewaySetupError("Give the gateway a name staff will recognise.")
    if mode not in Gateway.Mode.values:
        raise GatewaySetupError(f"“{mode}” is not a mode: choose Test or Live.")
    _lock_gateways()
    if gateway_id is None:
        gateway, stored = Gateway(kind=kind), {}
    else:
        gateway = Gateway.objects.get(pk=gateway_id)
        if gateway.kind != kind:
            raise GatewaySetupError("A gateway's type cannot change: add a new gateway instead.")
        stored = _stored_credentials(gateway)

    merged = _merged_credentials(kind, mode, stored, credentials)
    gateway.name, gateway.mode = name, mode
    gateway.credentials_encrypted = crypto.encrypt(merged)
    if is_active:
        _make_only_active(gateway)
    else:
        gateway.is_active = False
    _save(gateway)
    logger.info(
        "Gateway %s (%s, %s) saved by %s; active: %s",
        gateway.pk,
        gateway.kind,
        gateway.mode,
        actor.user or actor.label,
        gateway.is_active,
    )
    return gateway


@transaction.atomic
def gateway_activate(*, gateway_id: int, actor: Actor) -> Gateway:
    """Make this gateway the one orders are charged through; the others become inactive in
    the same transaction. Refused if its credentials cannot be read."""
    _lock_gateways()
    gateway = Gateway.objects.get(pk=gateway_id)
    if gateway.credentials_encrypted and not _stored_credentials(gateway):
        raise GatewaySetupError(
            f"The credentials of “{gateway.name}” cannot be read any more: enter them again "
            "before activating it."
        )
    _make_only_active(gateway)
    _save(gateway)
    logger.info("Gateway %s activated by %s", gateway.pk, actor.user or actor.label)
    return gateway


@transaction.atomic
def gateway_deactivate(*, gateway_id: int, actor: Actor) -> Gateway:
    """Stop charging through this gateway (orders then cannot be charged until one is active)."""
    gateway = Gateway.objects.select_for_update().get(pk=gateway_id)
    if gateway.is_active:
        gateway.is_active = False
        gateway.save(update_fields=["is_active", "updated_at"])
        logger.info("Gateway %s deactivated by %s", gateway.pk, actor.user or actor.label)
    return gateway
