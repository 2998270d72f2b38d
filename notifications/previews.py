"""Store admins' previews of the customer emails (Settings → Emails).

Every preview is rendered by `emails.render`, the function the worker sends with, from facts
that are never written: a sample order built in memory and never saved, or a real order read
through the worker's own `emails.facts_for`, given a tracking link that issues no token.
Nothing here writes to the database.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from orders.models import Channel, DownloadLink, Order, OrderLine, OrderStatus
from shipping.carriers import KNOWN_CARRIERS
from shipping.models import Carrier, OrderTracking, Shipment, TrackingNumber
from shipping.tracking import tracking_url

from .emails import (
    DigitalItem,
    Download,
    EmailFacts,
    EmailSkipped,
    Parcel,
    ParcelItem,
    RenderedEmail,
    TrackingLink,
    absolute,
    digital_goods_key,
    facts_for,
    render,
)
from .models import OutboxMessage

Kind = OutboxMessage.Kind

# What makes the worker send each kind, as store admins read it.
TRIGGERS = {
    Kind.SHIPPED: (
        "Staff record a shipment: one email per shipment, with the courier, the tracking "
        "numbers linked to the carrier's page, the items in the parcel and the order's "
        "tracking page."
    ),
    Kind.TRACKING_UPDATED: (
        "Staff correct a shipment's tracking number: the new number, and the parcel again."
    ),
    Kind.DELIVERED: (
        "The order is marked Delivered: by staff, or when its last items ship with a tracking "
        "number if the shipping settings say so."
    ),
    Kind.DIGITAL_GOODS: (
        "The order is paid and has download links or serial codes. Not sent if they have "
        "been taken back (a rollback) by the time the worker sends it."
    ),
    Kind.PAYMENT_UPDATE_REQUEST: (
        "Staff ask the customer for another payment method after a declined charge, from "
        "the order page. Not sent if the order is paid by the time the worker sends it."
    ),
}

# Tokens in links that lead nowhere: the sample's are never issued, and a real order's is
# issued by the worker when it first sends a link, not by a preview.
SAMPLE_TOKEN = "sample-link-not-issued"
UNISSUED_TOKEN = "issued-when-the-email-is-sent"
SAMPLE_NUMBER = 100482
SAMPLE_TRACKING = ("1Z999AA10123456784", "1Z12345E6605272234")
# The state each kind's email is sent in (a payment update request only while pending).
SAMPLE_STATUS = {
    Kind.SHIPPED: OrderStatus.SHIPPED,
    Kind.TRACKING_UPDATED: OrderStatus.SHIPPED,
    Kind.DELIVERED: OrderStatus.DELIVERED,
    Kind.DIGITAL_GOODS: OrderStatus.PAID,
    Kind.PAYMENT_UPDATE_REQUEST: OrderStatus.PENDING,
}


@dataclass(frozen=True)
class EmailKind:
    value: str
    label: str
    trigger: str


@dataclass(frozen=True)
class Preview:
    kind: EmailKind
    email: RenderedEmail | None
    not_sent: str = ""  # why the worker would not send this email for the order now


def email_kinds() -> list[EmailKind]:
    # Customer emails only: a vendor's PO is previewed as its PDF, not here.
    return [
        EmailKind(value, label, TRIGGERS[value])
        for value, label in Kind.choices
        if value not in OutboxMessage.PURCHASE_ORDER_KINDS
    ]


def email_kind(value: str) -> EmailKind | None:
    return next((kind for kind in email_kinds() if kind.value == value), None)


def _sample_line(sku: str, name: str, price: str, quantity: int, **fields) -> OrderLine:
    total = Decimal(price) * quantity
    return OrderLine(
        sku=sku, name=name, unit_price=Decimal(price), quantity=quantity, total=total, **fields
    )


def _sample_carrier() -> Carrier:
    """The store's UPS as an admin set it up (its tracking page), else the built-in one."""
    ups = KNOWN_CARRIERS["ups"]
    return Carrier.objects.filter(code=ups.code).first() or Carrier(
        code=ups.code, name=ups.name, tracking_url_template=ups.tracking_url_template
    )


def sample_facts(kind: str) -> EmailFacts:
    """A realistic order for `kind`'s email, built in memory and never saved: a customer, two
    parcels' worth of goods, an ebook and a licence, a UPS shipment with two tracking numbers."""
    apron = _sample_line("APR-LIN-NAT", "Linen apron", "24.00", 2, options="Natural")
    skillet = _sample_line("SKL-CI-10", "Cast-iron skillet, 10 in.", "54.00", 1)
    ebook = _sample_line(
        "EBK-FUNGI", "Field guide to mushrooms (ebook)", "18.00", 1, is_shippable=False
    )
    licence = _sample_line(
        "LIC-PHOTO-1Y", "Photo editor, 1-year licence", "28.00", 1, is_shippable=False
    )
    lines = (apron, skillet, ebook, licence)
    subtotal = sum((line.total for line in lines), Decimal(0))
    shipping = Decimal("9.95")
    order = Order(
        number=SAMPLE_NUMBER,
        channel=Channel.ONLINE,
        status=SAMPLE_STATUS[kind],
        customer_email="jane.doe@example.com",
        customer_name="Jane Doe",
        placed_at=timezone.now() - timedelta(days=3),
        currency=settings.STORE_CURRENCY,
        subtotal=subtotal,
        shipping_total=shipping,
        total=subtotal + shipping,
    )
    carrier = _sample_carrier()
    tracking = tuple(TrackingLink(n, carrier.tracking_url(n)) for n in SAMPLE_TRACKING)
    download = DownloadLink(token=SAMPLE_TOKEN)
    return EmailFacts(
        kind=kind,
        order=order,
        to_email=order.customer_email,
        lines=lines,
        tracking_page_url=tracking_url(SAMPLE_TOKEN),
        parcel=Parcel(
            carrier_name=carrier.name,
            tracking=tracking,
            items=(ParcelItem(apron.label, apron.quantity), ParcelItem(skillet.label, 1)),
        ),
        updated=tracking[-1],
        digital_items=(
            DigitalItem(
                ebook.name,
                links=(
                    Download(
                        "Field guide to mushrooms (EPUB)", absolute(download.get_absolute_url())
                    ),
                ),
                codes=(),
            ),
            DigitalItem(licence.name, links=(), codes=("PHED-4K7Q-9XM2-TR8D",)),
        ),
    )


def preview_sample(kind: EmailKind) -> Preview:
    return Preview(kind, render(sample_facts(kind.value)))


def order_for_preview(number: int) -> Order | None:
    return Order.objects.filter(number=number).first()


def _issued_tracking_url(order: Order) -> str:
    """The order's live tracking link, or a placeholder when none is issued yet."""
    token = (
        OrderTracking.objects.filter(order=order, revoked_at__isnull=True)
        .values_list("token", flat=True)
        .first()
    )
    return tracking_url(token or UNISSUED_TOKEN)


def _subject_key(order: Order, kind: str) -> str | None:
    """What the worker's outbox row would be about: the order's latest shipment or tracking
    number for the kinds that tell about one (None: it has none), else the order."""
    if kind == Kind.SHIPPED:
        pk = Shipment.objects.filter(order=order).order_by("-id").values_list("pk", flat=True)
        return f"shipment:{pk[0]}" if pk else None
    if kind == Kind.TRACKING_UPDATED:
        pk = (
            TrackingNumber.objects.filter(shipment__order=order)
            .order_by("-updated_at", "-id")
            .values_list("pk", flat=True)
        )
        return f"tracking:{pk[0]}" if pk else None
    if kind == Kind.DIGITAL_GOODS:
        return digital_goods_key(order)
    return "order"


def preview_order(order: Order, kind: EmailKind) -> Preview:
    """`kind`'s email for a real order, as the worker would render it now, or why it would
    not be sent. The outbox row it renders from is built in memory, never saved."""
    key = _subject_key(order, kind.value)
    if key is None:
        return Preview(
            kind,
            None,
            f"Order #{order.number} has no shipment yet: this email goes out when one is recorded.",
        )
    message = OutboxMessage(
        order=order, kind=kind.value, subject_key=key, to_email=order.customer_email
    )
    try:
        email = render(facts_for(message, tracking_page_url=_issued_tracking_url))
    except EmailSkipped as skipped:
        return Preview(kind, None, str(skipped))
    return Preview(kind, email)
