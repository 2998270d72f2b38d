import pytest

from payments.models import Gateway
from tests.payments.factories import WEBHOOK_SECRET, GatewayFactory
from tests.payments.fake_stripe import FakeStripe


@pytest.fixture
def test_gateway(db):
    """The active gateway: the built-in test gateway."""
    return GatewayFactory(kind=Gateway.Kind.TEST, name="Test gateway")


@pytest.fixture
def fake_stripe():
    """A Stripe-shaped API on a local port, for the length of one test."""
    server = FakeStripe(slow_seconds=2.0)
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_gateway(db, fake_stripe):
    """The active gateway: Stripe, pointed at the fake server."""
    return GatewayFactory(
        kind=Gateway.Kind.STRIPE,
        name="Stripe",
        credentials={
            "secret_key": "sk_test_fake",
            "webhook_secret": WEBHOOK_SECRET,
            "api_base": fake_stripe.url,
        },
    )
