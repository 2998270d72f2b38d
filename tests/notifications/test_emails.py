"""The emails' contents as the worker renders them (notifications.emails)."""

import pytest

from notifications import previews
from notifications.emails import render_email
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue
from orders.actors import Actor
from orders.models import OrderStatus
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db
Kind = OutboxMessage.Kind


def test_the_delivered_email_lists_what_shipped_not_the_licence():
    order = OrderFactory(status=OrderStatus.DELIVERED)
    OrderLineFactory(
        order=order,
        quantity=2,
        variant=VariantFactory(
            product=ProductFactory(name="Aspen Crewneck", is_shippable=True),
            options={"colour": "White", "size": "XS"},
        ),
        options="colour: White, size: XS",
    )
    OrderLineFactory(
        order=order,
        variant=VariantFactory(product=ProductFactory(name="Photo editor, 1-year licence", is_shippable=False)),
    )  # fmt: skip
    message = outbox_enqueue(
        order=order, kind=Kind.DELIVERED, subject_key="order", actor=Actor.system()
    )

    email = render_email(message)

    for body in (email.text, email.html):
        assert "2 × Aspen Crewneck (colour: White, size: XS)" in body
        assert "licence" not in body


def test_the_delivered_email_s_preview_lists_no_digital_goods():
    kind = previews.email_kind(Kind.DELIVERED)
    email = previews.preview_sample(kind).email
    for body in (email.text, email.html):
        assert "Linen apron (Natural)" in body and "Cast-iron skillet" in body
        assert "licence" not in body and "ebook" not in body
