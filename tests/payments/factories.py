import factory

from payments import crypto
from payments.models import Gateway, Payment

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


class GatewayFactory(factory.django.DjangoModelFactory):
    """GatewayFactory(credentials={...}): the credentials are stored encrypted, as the admin's
    form stores them."""

    class Meta:
        model = Gateway

    class Params:
        credentials = factory.LazyAttribute(
            lambda g: (
                {"webhook_secret": WEBHOOK_SECRET}
                if g.kind == Gateway.Kind.TEST
                else {"secret_key": "sk_test_fake", "webhook_secret": WEBHOOK_SECRET}
            )
        )

    kind = Gateway.Kind.TEST
    name = factory.Sequence(lambda n: f"Test gateway {n}")
    is_active = True
    credentials_encrypted = factory.LazyAttribute(lambda g: crypto.encrypt(g.credentials))


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    method = Payment.Method.CHECK
    amount = factory.LazyAttribute(lambda p: p.order.total)
    currency = factory.LazyAttribute(lambda p: p.order.currency)
