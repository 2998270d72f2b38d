"""The shipping section of the order page, registered with orders' panels in
ShippingConfig.ready().

An action that fails (a tracking number that fails its check) re-renders the order page with
its bound form: the view leaves the form on the request, the panel picks it up.
"""

from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.http import HttpRequest

from orders.models import Order, OrderDestination
from orders.panels import Panel

from .forms import ShipmentForm, TrackingNumberForm, carrier_choices
from .models import OrderTracking, Shipment, ShipmentLine
from .services import SHIPPING_STATUSES

_SHIPMENT_FORM = "_shipping_shipment_form"
_TRACKING_FORM = "_shipping_tracking_form"


def keep_shipment_form(request: HttpRequest, form: ShipmentForm) -> None:
    setattr(request, _SHIPMENT_FORM, form)


def keep_tracking_form(request: HttpRequest, form: TrackingNumberForm) -> None:
    setattr(request, _TRACKING_FORM, form)


def shipping_panel(request: HttpRequest, order: Order) -> dict | None:
    """Shipments with their lines and numbers, the customer's tracking link, and the forms
    staff may use. Two queries for the shipments (what each took of the order's lines rides
    on the first, and the order lines are the page's), two for the form's choices (the
    carrier list read once a page, shared with the POs' vendor-shipment forms), whatever the
    order's size.

    The tracking link's issue date rides on the shipments' query (a subquery, not a query of
    its own): its link goes out in the shipped and delivered emails, which only an order with
    a shipment gets, so an order without one offers nothing to revoke.
    """
    lines = list(order.lines.all())
    live_link = OrderTracking.objects.filter(order=OuterRef("order_id"), revoked_at__isnull=True)
    shipments = list(
        Shipment.objects.filter(order=order)
        .annotate(
            link_issued_at=Subquery(live_link.values("created_at")[:1]),
            line_parts=ArraySubquery(
                _SHIPPED.values(part=JSONObject(line="order_line_id", quantity="quantity"))
            ),
        )
        .select_related("carrier", "method", "created_by")
        .prefetch_related("tracking_numbers")
    )
    # What each shipment took of which line, read with the shipment; the order lines are the
    # ones the page has already loaded.
    by_id = {line.pk: line for line in lines}
    for shipment in shipments:
        shipment.shipped = [
            ShippedLine(by_id[part["line"]], part["quantity"]) for part in shipment.line_parts
        ]
    if not shipments and not any(line.is_shippable for line in lines):
        return None
    user = request.user
    can_ship = order.status in SHIPPING_STATUSES and user.has_perm("shipping.add_shipment")
    unsent = [
        line for line in lines if line.is_shippable and line.quantity_fulfilled < line.quantity
    ]
    for line in unsent:
        line.remaining = line.quantity - line.quantity_fulfilled
    form = None
    if can_ship and unsent:
        form = getattr(request, _SHIPMENT_FORM, None) or ShipmentForm(
            lines=lines, carrier_choices=carrier_choices(request)
        )
    return {
        "shipments": shipments,
        "unsent": unsent if can_ship else [],
        "form": form,
        "tracking_form": getattr(request, _TRACKING_FORM, None),
        "can_edit_tracking": user.has_perm("shipping.change_trackingnumber"),
        "link_issued_at": shipments[0].link_issued_at if shipments else None,
        "can_revoke_link": user.has_perm("shipping.change_ordertracking"),
        "destinations": destination_groups(order, lines),
    }


@dataclass(frozen=True)
class ShippedLine:
    order_line: object  # orders.OrderLine, as the page loaded it
    quantity: int


_SHIPPED = ShipmentLine.objects.filter(shipment_id=OuterRef("pk")).order_by("id")


def destination_groups(order: Order, lines: list) -> list[tuple[OrderDestination, list]]:
    """The order's addresses (orders entered in the back office, seed 003) with the lines
    going to each: one query, none for an order shipped to its one shipping address (no line
    names a destination), which is every order but those entered with several."""
    if not any(line.destination_id for line in lines):
        return []
    destinations = list(OrderDestination.objects.filter(order=order).order_by("position"))
    return [(d, [line for line in lines if line.destination_id == d.pk]) for d in destinations]


SHIPPING_PANEL = Panel(
    name="shipping",
    template="shipping/_order_panel.html",
    context=shipping_panel,
    column="main",
    position=20,
    permission="shipping.view_shipment",
)
