"""The customer tracking page: its tokens, the lookup by order number and email, and the
public view of an order (built as plain data, so a template cannot reach anything internal)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import throttling
from core.text import has_nul
from orders.models import Order, OrderLine, OrderStatus

from .models import OrderTracking, Shipment

# Lookup attempts (POSTs of the form) one client may make per window, and lookups of one order
# number whoever asks (guessing its email from many addresses).
LOOKUP_LIMIT = 10
LOOKUP_LIMIT_PER_ORDER = 20
LOOKUP_WINDOW = 10 * 60  # seconds

CUSTOMER_STATUS = {
    OrderStatus.PENDING: "Awaiting payment",
    OrderStatus.PAID: "Order received",
    OrderStatus.IN_PROCESS: "Being prepared",
    OrderStatus.SHIPPED: "On its way",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.COMPLETE: "Complete",
    OrderStatus.CANCELLED: "Cancelled",
}

LINE_STATE = {
    OrderLine.Fulfilment.UNFULFILLED: "Not sent yet",
    OrderLine.Fulfilment.PARTIAL: "Partly sent",
    OrderLine.Fulfilment.FULFILLED: "Sent",
    OrderLine.Fulfilment.NOT_REQUIRED: "Nothing to ship",
}


def tracking_token_for(order: Order) -> str:
    """The order's live tracking token, issued on first need."""
    tracking, _ = OrderTracking.objects.get_or_create(order=order, revoked_at__isnull=True)
    return tracking.token


@transaction.atomic
def tracking_token_revoke(order: Order) -> str:
    """Revoke the order's live token (its links answer not-found from now on) and return a
    new one."""
    OrderTracking.objects.filter(order=order, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return OrderTracking.objects.create(order=order).token


def tracking_url(token: str) -> str:
    """The absolute link customers get in their emails."""
    return settings.SITE_URL.rstrip("/") + reverse("shipping:track", args=[token])


def tracking_url_for(order: Order) -> str:
    return tracking_url(tracking_token_for(order))


def order_for_lookup(*, number: int, email: str) -> Order | None:
    """The order with this number whose customer email matches (in any case), else None: a
    wrong email and an unknown number are the same answer."""
    return Order.objects.filter(number=number, customer_email__iexact=email.strip()).first()


def lookup_allowed(client_ip: str) -> bool:
    """Count one lookup attempt from this client; False once it has used up the window's
    allowance."""
    return throttling.allow(
        f"track-lookup:{client_ip or 'unknown'}", limit=LOOKUP_LIMIT, window=LOOKUP_WINDOW
    )


def lookup_of_order_allowed(number: int) -> bool:
    """Count one lookup of this order number; False once it was looked up too often."""
    return throttling.allow(
        f"track-lookup-order:{number}", limit=LOOKUP_LIMIT_PER_ORDER, window=LOOKUP_WINDOW
    )


@dataclass(frozen=True)
class PublicTrackingNumber:
    number: str
    url: str


@dataclass(frozen=True)
class PublicItem:
    name: str
    options: str
    quantity: int
    state: str
    sent: bool


@dataclass(frozen=True)
class PublicShipment:
    carrier_name: str
    shipped_on: date
    tracking_numbers: list[PublicTrackingNumber]
    items: list[PublicItem] = field(default_factory=list)


@dataclass(frozen=True)
class PublicOrder:
    number: int
    placed_at: datetime
    status: str
    items: list[PublicItem]
    shipments: list[PublicShipment]


def _item(line: OrderLine, quantity: int | None = None) -> PublicItem:
    return PublicItem(
        name=line.name,
        options=line.options,
        quantity=line.quantity if quantity is None else quantity,
        state=LINE_STATE.get(line.fulfilment_status, ""),
        sent=line.fulfilment_status == OrderLine.Fulfilment.FULFILLED,
    )


def public_order_for_token(token: str) -> PublicOrder | None:
    """What the tracking page shows for a live token, or None (unknown or revoked token).

    Only the customer-facing facts of the token's own order: never notes, staff, payment or
    risk data, nor another order."""
    if has_nul(token):  # no token has one, and Postgres could not even compare it
        return None
    tracking = (
        OrderTracking.objects.select_related("order")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if tracking is None:
        return None
    order = tracking.order
    lines = list(order.lines.all())
    shipments = (
        Shipment.objects.filter(order=order)
        .select_related("carrier")
        .prefetch_related("tracking_numbers", "lines__order_line")
    )
    return PublicOrder(
        number=order.number,
        placed_at=order.placed_at,
        status=CUSTOMER_STATUS.get(order.status, order.get_status_display()),
        items=[_item(line) for line in lines],
        shipments=[
            PublicShipment(
                carrier_name=shipment.carrier.name,
                shipped_on=shipment.shipped_on,
                tracking_numbers=[
                    PublicTrackingNumber(
                        number=t.number, url=shipment.carrier.tracking_url(t.number)
                    )
                    for t in shipment.tracking_numbers.all()
                ],
                items=[_item(sl.order_line, sl.quantity) for sl in shipment.lines.all()],
            )
            for shipment in shipments
        ],
    )
