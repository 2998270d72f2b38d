"""Gateways behind one interface (`base.GatewayClient`); `client_for(gateway)` picks one."""

from ..models import Gateway
from .base import GatewayClient


def client_for(gateway: Gateway) -> GatewayClient:
    if gateway.kind == Gateway.Kind.TEST:
        from .test import TestGatewayClient

        return TestGatewayClient(gateway)
    if gateway.kind == Gateway.Kind.STRIPE:
        from .stripe import StripeGatewayClient

        return StripeGatewayClient(gateway)
    raise ValueError(f"Unknown gateway kind {gateway.kind!r}.")
