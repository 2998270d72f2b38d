"""The POs tab of the order page (seed 002 steps 9–13, 16), registered with orders' panels in
PurchasingConfig.ready(). A refused action re-renders the page with its bound form, left on the
request by the view."""

from django.http import HttpRequest

from orders.models import Order, OrderStatus
from shipping.forms import carrier_choices

from .forms import PoCreateForm, PoShipForm
from .models import PurchaseOrder
from .selectors import order_purchase_orders, po_candidates
from .services import PO_ORDER_STATUSES

_CREATE_FORM = "_purchasing_create_form"
_SHIP_FORM = "_purchasing_ship_form"


def keep_create_form(request: HttpRequest, form: PoCreateForm) -> None:
    setattr(request, _CREATE_FORM, form)


def keep_ship_form(request: HttpRequest, form: PoShipForm) -> None:
    setattr(request, _SHIP_FORM, form)


def purchase_orders_panel(request: HttpRequest, order: Order) -> dict | None:
    """The order's POs and, for a paid order, the lines that may go on one with their vendors.
    Six queries at most (the carrier list once a page, for every PO's vendor-shipment
    form and the order's own shipment form), whatever
    the order's size and its number of POs."""
    lines = list(order.lines.all())
    # POs are only ever made for lines that ship: an order with none has nothing to show.
    if not any(line.is_shippable for line in lines):
        return None
    pos = order_purchase_orders(order=order, lines=lines)
    paid = order.status in PO_ORDER_STATUSES
    can_manage = paid and request.user.has_perm("purchasing.add_purchaseorder")
    candidates = po_candidates(order=order, lines=lines) if can_manage else []
    create_form = getattr(request, _CREATE_FORM, None) or PoCreateForm(candidates=candidates)
    bound_ship = getattr(request, _SHIP_FORM, None)
    for po in pos:
        po.can_send = can_manage and po.status == PurchaseOrder.Status.DRAFT
        po.can_cancel = (
            can_manage and po.is_open and not any(pl.quantity_shipped for pl in po.line_list)
        )
        po.ship_form = None
        if can_manage and po.owed and po.status != PurchaseOrder.Status.DRAFT and po.is_open:
            if bound_ship and bound_ship.po.pk == po.pk:
                po.ship_form = bound_ship
            else:
                po.ship_form = PoShipForm(po=po, carrier_choices=carrier_choices(request))
    return {
        "pos": pos,
        "unpaid": order.status == OrderStatus.PENDING,
        "can_manage": can_manage,
        "create_form": create_form if candidates else None,
        "any_vendor": any(c.links for c in candidates),
    }
