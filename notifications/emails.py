"""What each kind of email says: its subject and template context, built from the order as it
is when the worker sends it (a corrected tracking number goes out corrected)."""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string

from catalog.models import SerialCode
from orders.formatting import money
from orders.models import Order, OrderStatus
from shipping.tracking import tracking_url_for

from .models import OutboxMessage

Kind = OutboxMessage.Kind


class EmailSkipped(Exception):
    """The email no longer applies; the message says why (it goes to the timeline)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


SUBJECTS = {
    Kind.SHIPPED: "{store}: order #{number} has shipped",
    Kind.TRACKING_UPDATED: "{store}: new tracking for order #{number}",
    Kind.DELIVERED: "{store}: order #{number} was delivered",
    Kind.DIGITAL_GOODS: "{store}: your downloads for order #{number}",
    Kind.PAYMENT_UPDATE_REQUEST: "{store}: please update your payment method for order #{number}",
}


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _tracking(shipment) -> list[dict]:
    numbers = getattr(shipment, "tracking_numbers", None) or getattr(
        shipment, "trackingnumber_set", None
    )
    if numbers is None:
        return []
    return [
        {"number": t.number, "url": shipment.carrier.tracking_url(t.number)} for t in numbers.all()
    ]


def _shipment_context(shipment) -> dict:
    lines = getattr(shipment, "lines", None)
    items = (
        [{"name": sl.order_line.name, "quantity": sl.quantity} for sl in lines.all()]
        if lines is not None
        else []
    )
    return {
        "shipment": shipment,
        "carrier_name": shipment.carrier.name,
        "tracking": _tracking(shipment),
        "items": items,
    }


def _digital_context(order: Order) -> dict:
    lines = list(order.lines.prefetch_related("download_links__digital_file"))
    # Codes point at the order; a variant's codes go to its lines in line order (as allocated).
    codes_by_variant: dict[int, list[str]] = {}
    for variant_id, code in (
        SerialCode.objects.filter(allocation_reference=order.reference)
        .order_by("id")
        .values_list("variant_id", "code")
    ):
        codes_by_variant.setdefault(variant_id, []).append(code)
    items = []
    for line in lines:
        links = [
            {"name": str(link.digital_file), "url": absolute(link.get_absolute_url())}
            for link in line.download_links.all()
            if link.is_live
        ]
        pool = codes_by_variant.get(line.variant_id, [])
        codes, codes_by_variant[line.variant_id] = pool[: line.quantity], pool[line.quantity :]
        if links or codes:
            items.append({"name": line.name, "links": links, "codes": codes})
    if not items:
        raise EmailSkipped(f"Digital goods email not sent: order #{order.number} has none now.")
    return {"digital_items": items}


def context_for(message: OutboxMessage) -> dict:
    order = message.order
    context = {
        "store_name": settings.STORE_NAME,
        "order": order,
        "customer_name": order.customer_name,
        "total": money(order.total, order.currency),
        "lines": list(order.lines.all()),
    }
    _, _, rest = message.subject_key.partition(":")
    if message.kind in (Kind.SHIPPED, Kind.DELIVERED):
        context["tracking_page_url"] = tracking_url_for(order)
    if message.kind == Kind.SHIPPED:
        shipment = apps.get_model("shipping", "Shipment").objects.get(pk=int(rest))
        context.update(_shipment_context(shipment))
    elif message.kind == Kind.TRACKING_UPDATED:
        tracking_pk = int(rest.split(":")[0])
        number = apps.get_model("shipping", "TrackingNumber").objects.get(pk=tracking_pk)
        context.update(_shipment_context(number.shipment))
        context["updated"] = {
            "number": number.number,
            "url": number.shipment.carrier.tracking_url(number.number),
        }
    elif message.kind == Kind.DIGITAL_GOODS:
        context.update(_digital_context(order))
    elif message.kind == Kind.PAYMENT_UPDATE_REQUEST and order.status != OrderStatus.PENDING:
        raise EmailSkipped(
            f"Payment update request not sent: the order is {order.get_status_display()} now."
        )
    return context


def render_email(message: OutboxMessage) -> RenderedEmail:
    context = context_for(message)
    order = message.order
    template = f"notifications/email/{message.kind}"
    return RenderedEmail(
        subject=SUBJECTS[message.kind].format(store=settings.STORE_NAME, number=order.number),
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
    )
