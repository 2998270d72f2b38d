"""The POs tab's actions. Each answers like every order-page action: the #order-detail partial
under htmx, else Post/Redirect/Get; a refusal re-renders the page with the reason."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Vendor
from core.prepared import planned_for_values
from orders.actors import Actor
from orders.models import Order
from orders.views import back_to_order, order_detail_response, order_id_or_404
from shipping.services import ShipmentError, TrackingNumberInvalid

from .forms import PoCreateForm, PoShipForm, VendorForm
from .models import PurchaseOrder
from .panels import keep_create_form, keep_ship_form
from .selectors import order_purchase_orders, po_candidates, ship_notices_refused
from .selectors import purchase_order_list as purchase_order_list_read
from .services import (
    PurchasingError,
    po_cancel,
    po_create_for_order,
    po_lines_ship,
    po_send,
    vendor_host_key_accept,
    vendor_save,
)
from .tables import PurchaseOrderTable, VendorTable
from .transport import TransportError, fingerprint, sftp_test

VIEW_ORDERS = "orders.view_order"
VIEW_POS = [VIEW_ORDERS, "purchasing.view_purchaseorder"]
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
                **form.courier(),
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


VENDORS = ["catalog.view_vendor", "catalog.change_vendor"]


@require_GET
@permission_required(VIEW_POS, raise_exception=True)
@planned_for_values
def purchase_order_list(request):
    page = purchase_order_list_read(user=request.user, filters=request.GET)
    empty = (
        "No purchase orders match these filters."
        if page.active
        else "No purchase orders yet: create them from a paid order's Purchase orders panel."
    )
    table = PurchaseOrderTable(page.rows, empty_text=empty)
    notices = ship_notices_refused(user=request.user)
    return render(
        request, "purchasing/po_list.html", {"page": page, "table": table, "notices": notices}
    )


@never_cache
@require_GET
@permission_required(VENDORS, raise_exception=True)
def vendor_list(request):
    table = VendorTable(Vendor.objects.order_by("name"))
    return render(request, "settings/vendor_list.html", {"table": table})


def _vendor_page(request, form: VendorForm, vendor: Vendor | None):
    context = {"form": form, "vendor": vendor}
    if vendor is not None and vendor.sftp_host_key:
        context["pinned"] = fingerprint(vendor.sftp_host_key)
    if vendor is not None and vendor.sftp_host_key_seen:
        context["seen"] = fingerprint(vendor.sftp_host_key_seen)
    return render(request, "settings/vendor_form.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required([*VENDORS, "catalog.add_vendor"], raise_exception=True)
def vendor_create(request):
    form = VendorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        vendor = vendor_save(vendor=form.save(commit=False), secret=form.secret())
        messages.success(request, f"“{vendor.name}” is saved.")
        return redirect("purchasing:vendor_edit", pk=vendor.pk)
    return _vendor_page(request, form, None)


def _vendor_or_404(pk: int) -> Vendor:
    vendor = Vendor.objects.filter(pk=pk).first()
    if vendor is None:
        raise Http404("No such vendor.")
    return vendor


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(VENDORS, raise_exception=True)
def vendor_edit(request, pk: int):
    vendor = _vendor_or_404(pk)
    form = VendorForm(request.POST or None, instance=vendor)
    if request.method == "POST" and form.is_valid():
        vendor = vendor_save(vendor=form.save(commit=False), secret=form.secret())
        messages.success(request, f"“{vendor.name}” is saved.")
        return redirect("purchasing:vendor_edit", pk=vendor.pk)
    return _vendor_page(request, form, _vendor_or_404(pk) if form.is_bound else vendor)


@require_POST
@permission_required(VENDORS, raise_exception=True)
def vendor_test_connection(request, pk: int):
    """Log in to the vendor's SFTP server now and say what worked or what failed."""
    vendor = _vendor_or_404(pk)
    if vendor.edi_transport != Vendor.Transport.SFTP or not vendor.sftp_host:
        messages.error(request, f"{vendor.name} has no SFTP server set: save its host first.")
    else:
        try:
            messages.success(request, sftp_test(vendor))
        except TransportError as exc:
            messages.error(request, f"Connection test failed: {exc}")
    return redirect("purchasing:vendor_edit", pk=pk)


@require_POST
@permission_required(VENDORS, raise_exception=True)
def vendor_accept_key(request, pk: int):
    try:
        vendor = vendor_host_key_accept(vendor_id=_vendor_or_404(pk).pk)
    except PurchasingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{vendor.name}'s new host key {fingerprint(vendor.sftp_host_key)} is accepted: "
            "transfers resume. Retry its failed POs from the order pages.",
        )
    return redirect("purchasing:vendor_edit", pk=pk)
