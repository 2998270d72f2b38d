"""The POs tab's actions. Each answers like every order-page action: the #order-detail partial
under htmx, else Post/Redirect/Get; a refusal re-renders the page with the reason."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.views.decorators.http import require_POST

from orders.actors import Actor
from orders.models import Order
from orders.views import back_to_order, order_detail_response, order_id_or_404
from shipping.services import ShipmentError, TrackingNumberInvalid

from .forms import PoCreateForm, PoShipForm
from .models import PurchaseOrder
from .panels import keep_create_form, keep_ship_form
from .selectors import order_purchase_orders, po_candidates
from .services import PurchasingError, po_cancel, po_create_for_order, po_lines_ship, po_send

VIEW_ORDERS = "orders.view_order"
MANAGE = [VIEW_ORDERS, "purchasing.add_purchaseorder", "purchasing.change_purchaseorder"]


def _po_of(request, number: int, pk: int) -> PurchaseOrder:
    order_id = order_id_or_404(request, number)
    po = PurchaseOrder.objects.filter(pk=pk, order_id=order_id).first()
    if po is None:
        raise Http404(f"No such PO on order #{number}.")
    return po


@require_POST
@permission_required(MANAGE, raise_exception=True)
def po_create(request, number: int):
    """*Create PO(s)* or, with action=send, *Create PO(s) & Send*: one PO per chosen vendor."""
    order = Order.objects.get(pk=order_id_or_404(request, number))
    form = PoCreateForm(request.POST, candidates=po_candidates(order=order))
    send = request.POST.get("action") == "send"
    if form.is_valid():
        try:
            pos = po_create_for_order(
                order_id=order.pk, choices=form.choices(), send=send, actor=Actor.of(request.user)
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        else:
            labels = ", ".join(f"{po.label} ({po.vendor.name})" for po in pos)
            messages.success(
                request, f"{'Created and queued to send' if send else 'Created'}: {labels}."
            )
            return back_to_order(request, number)
    messages.error(request, f"No PO was created: {_first_error(form)}")
    keep_create_form(request, form)
    return order_detail_response(request, number)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@require_POST
@permission_required(MANAGE, raise_exception=True)
def po_send_view(request, number: int, pk: int):
    po = _po_of(request, number, pk)
    try:
        po_send(purchase_order_id=po.pk, actor=Actor.of(request.user))
    except PurchasingError as exc:
        messages.error(request, str(exc))
        return order_detail_response(request, number)
    messages.success(request, f"{po.label} queued to send to {po.vendor.name}.")
    return back_to_order(request, number)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def po_cancel_view(request, number: int, pk: int):
    po = _po_of(request, number, pk)
    try:
        po = po_cancel(purchase_order_id=po.pk, actor=Actor.of(request.user))
    except PurchasingError as exc:
        messages.error(request, str(exc))
        return order_detail_response(request, number)
    told = " The vendor is being told." if po.sent_at else ""
    messages.success(request, f"{po.label} cancelled; its items may go on another PO.{told}")
    return back_to_order(request, number)


@require_POST
@permission_required([*MANAGE, "shipping.add_shipment"], raise_exception=True)
def po_ship(request, number: int, pk: int):
    """Seed 002 step 16: the vendor's carrier and tracking numbers against the PO's lines."""
    po = _po_of(request, number, pk)
    order = Order.objects.get(pk=po.order_id)
    [po] = [
        p
        for p in order_purchase_orders(order=order, lines=list(order.lines.all()))
        if p.pk == po.pk
    ]
    form = PoShipForm(request.POST, po=po)
    if form.is_valid():
        data = form.cleaned_data
        try:
            shipment = po_lines_ship(
                purchase_order_id=po.pk,
                lines=form.quantities(),
                carrier_id=data["carrier"].pk,
                tracking_numbers=data["tracking_numbers"],
                override_reason=data["override_reason"],
                actor=Actor.of(request.user),
            )
        except TrackingNumberInvalid as exc:
            form.reveal_reason(str(exc))
        except (PurchasingError, ShipmentError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{po.label}: shipment by {shipment.carrier.name} recorded.")
            return back_to_order(request, number)
    messages.error(request, f"The vendor's shipment was not recorded: {_first_error(form)}")
    keep_ship_form(request, form)
    return order_detail_response(request, number)
