from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import throttling
from orders.actors import Actor
from orders.models import Order, OrderDestination, OrderLine
from orders.views import back_to_order, order_detail_response, order_id_or_404, order_row_response

from . import tracking
from .forms import (
    CarrierSettingsForm,
    RowShipmentForm,
    ShipmentForm,
    ShippingMethodForm,
    TrackingLookupForm,
    TrackingNumberForm,
)
from .models import Carrier, ShippingMethod, TrackingNumber
from .moves import row_form_context
from .panels import keep_shipment_form, keep_tracking_form
from .services import (
    CarrierError,
    ShipmentError,
    TrackingNumberInvalid,
    carrier_save,
    lines_flag_sent,
    shipment_create,
    shipping_method_save,
    tracking_link_revoke,
    tracking_number_update,
)
from .tables import CarrierTable, ShippingMethodTable

VIEW_ORDERS = "orders.view_order"


@require_POST
@permission_required([VIEW_ORDERS, "shipping.add_shipment"], raise_exception=True)
def shipment_record(request, number: int):
    """Record a shipment. A refusal comes back on the form (with the override reason field
    when a number failed its carrier's check) and changes nothing."""
    order_id = order_id_or_404(request, number)
    lines = list(OrderLine.objects.filter(order_id=order_id).order_by("id"))
    form = ShipmentForm(request.POST, lines=lines)
    if form.is_valid():
        data = form.cleaned_data
        try:
            shipment = shipment_create(
                order_id=order_id,
                **form.courier(),
                tracking_numbers=data["tracking_numbers"],
                lines=form.quantities(),
                shipped_on=data["shipped_on"],
                method_id=data["method"].pk if data["method"] else None,
                override_reason=data["override_reason"],
                actor=Actor.of(request.user),
            )
        except TrackingNumberInvalid as exc:
            form.reveal_reason(str(exc))
        except ShipmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Shipment by {shipment.carrier.name} recorded for order #{number}."
            )
            return back_to_order(request, number)
    messages.error(request, "The shipment was not recorded: see the form for why.")
    keep_shipment_form(request, form)
    return order_detail_response(request, number)


@require_POST
@permission_required(
    [VIEW_ORDERS, "orders.change_order_status", "shipping.add_shipment"], raise_exception=True
)
def shipment_record_in_row(request, number: int):
    """Seed 004's Shipped from the order list: a shipment of everything left to send, with its
    courier and tracking numbers. Under htmx a refusal (a number failing its carrier's check,
    with the field to record it anyway) comes back in the form, and success puts the order's
    row back with its new status; without htmx it is Post/Redirect/Get."""
    order_id = order_id_or_404(request, number)
    form = RowShipmentForm(request.POST, number=number)
    if form.is_valid():
        data = form.cleaned_data
        try:
            shipment = shipment_create(
                order_id=order_id,
                **form.courier(),
                tracking_numbers=data["tracking_numbers"],
                override_reason=data["override_reason"],
                actor=Actor.of(request.user),
            )
        except TrackingNumberInvalid as exc:
            form.reveal_reason(str(exc))
        except ShipmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Order #{number} is shipped by {shipment.carrier.name}, tracking "
                f"{', '.join(data['tracking_numbers'])}.",
            )
            if request.htmx:
                return order_row_response(request, number, changed=True, closes_form=True)
            return redirect("orders:detail", number=number)
    if request.htmx:
        context = row_form_context(number, form)
        return HttpResponse(render_to_string("shipping/_row_shipment.html#form", context, request))
    messages.error(request, f"Order #{number} was not shipped: {_first_error(form)}")
    return redirect(reverse("orders:detail", kwargs={"number": number}) + "#order-shipping")


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@require_POST
@permission_required([VIEW_ORDERS, "shipping.add_shipment"], raise_exception=True)
def lines_sent(request, number: int):
    """Seed 000's *Flag selected item(s) as sent*, without a tracking number."""
    order_id = order_id_or_404(request, number)
    try:
        line_ids = [int(pk) for pk in request.POST.getlist("line")]
    except ValueError as exc:
        raise Http404("No such item.") from exc
    try:
        sent = lines_flag_sent(order_id=order_id, line_ids=line_ids, actor=Actor.of(request.user))
    except ShipmentError as exc:
        messages.error(request, f"Nothing was flagged: {exc}")
    else:
        skus = ", ".join(line.sku for line in sent)
        messages.success(request, f"{skus} flagged as sent.")
    return back_to_order(request, number)


@require_POST
@permission_required([VIEW_ORDERS, "shipping.change_trackingnumber"], raise_exception=True)
def tracking_edit(request, number: int, tracking_id: int):
    """Correct a tracking number; the customer is told (through the tracking_updated signal)."""
    order_id = order_id_or_404(request, number)
    if not TrackingNumber.objects.filter(pk=tracking_id, shipment__order_id=order_id).exists():
        raise Http404("No such tracking number on this order.")
    form = TrackingNumberForm(request.POST, tracking_id=tracking_id)
    if form.is_valid():
        try:
            tracking = tracking_number_update(
                tracking_id=tracking_id,
                number=form.cleaned_data["number"],
                override_reason=form.cleaned_data["override_reason"],
                actor=Actor.of(request.user),
            )
        except TrackingNumberInvalid as exc:
            form.reveal_reason(str(exc))
        except ShipmentError as exc:
            form.add_error("number", str(exc))
        else:
            messages.success(request, f"Tracking number corrected to {tracking.number}.")
            return back_to_order(request, number)
    messages.error(request, "The tracking number was not changed: see the form for why.")
    keep_tracking_form(request, form)
    return order_detail_response(request, number)


@require_POST
@permission_required([VIEW_ORDERS, "shipping.change_ordertracking"], raise_exception=True)
def revoke_tracking_link(request, number: int):
    """Revoke the customer's tracking link; later emails carry a new one."""
    order_id = order_id_or_404(request, number)
    try:
        tracking_link_revoke(order_id=order_id, actor=Actor.of(request.user))
    except ShipmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"The tracking link of order #{number} is revoked: it now shows “not found”. "
            "Emails from now on carry a new one.",
        )
    return back_to_order(request, number)


NOT_FOUND_MESSAGE = "We could not find an order with that number and email address."


def _tracking_not_found(request):
    """Every failure of a token link gives this same page."""
    return render(request, "shipping/tracking/not_found.html", status=404)


@login_not_required
@require_GET
def track(request, token: str):
    """A customer's tracking page, reached by the token in their email's link."""
    order = tracking.public_order_for_token(token)
    if order is None:
        return _tracking_not_found(request)
    response = render(request, "shipping/tracking/order.html", {"order": order})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to carrier sites
    response["Cache-Control"] = "private, no-store"  # personal data behind a secret link
    return response


@login_not_required
@csrf_protect
@require_http_methods(["GET", "POST"])
def track_lookup(request):
    """Find a tracking page by order number and email. A wrong email and an unknown number
    give the same answer; attempts are limited per client and per order number."""
    if request.method == "GET":
        form = TrackingLookupForm()
    else:
        if not tracking.lookup_allowed(throttling.client_ip(request)):
            return render(request, "shipping/tracking/rate_limited.html", status=429)
        form = TrackingLookupForm(request.POST)
        if form.is_valid():
            if not tracking.lookup_of_order_allowed(form.cleaned_data["number"]):
                return render(request, "shipping/tracking/rate_limited.html", status=429)
            order = tracking.order_for_lookup(
                number=form.cleaned_data["number"], email=form.cleaned_data["email"]
            )
            if order is not None:
                return redirect(
                    reverse("shipping:track", args=[tracking.tracking_token_for(order)])
                )
            form.add_error(None, NOT_FOUND_MESSAGE)
    response = render(request, "shipping/tracking/lookup.html", {"form": form})
    response["X-Robots-Tag"] = "noindex"
    return response


# ---- Carriers (store admins, Settings → Carriers) ------------------------------------------


@require_GET
@permission_required(["shipping.view_carrier", "shipping.change_carrier"], raise_exception=True)
def carrier_list(request):
    table = CarrierTable(Carrier.objects.order_by("name"))
    return render(request, "settings/carrier_list.html", {"table": table})


def _carrier_form_page(request, form: CarrierSettingsForm, carrier: Carrier | None):
    return render(request, "settings/carrier_form.html", {"form": form, "carrier": carrier})


def _carrier_saved(request, form: CarrierSettingsForm, carrier_id: int | None) -> Carrier | None:
    """The carrier saved from the form, or None with the refusal on the form."""
    data = form.cleaned_data
    try:
        return carrier_save(
            carrier_id=carrier_id,
            name=data["name"],
            tracking_url_template=data["tracking_url_template"],
            number_check=data["number_check"],
            is_active=data["is_active"],
            actor=Actor.of(request.user),
        )
    except CarrierError as exc:
        form.add_error(None, str(exc))
        return None


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(["shipping.view_carrier", "shipping.add_carrier"], raise_exception=True)
def carrier_create(request):
    form = CarrierSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        carrier = _carrier_saved(request, form, None)
        if carrier is not None:
            messages.success(request, f"“{carrier.name}” is saved.")
            return redirect("shipping:carrier_list")
    return _carrier_form_page(request, form, None)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(["shipping.view_carrier", "shipping.change_carrier"], raise_exception=True)
def carrier_edit(request, pk: int):
    carrier = Carrier.objects.filter(pk=pk).first()
    if carrier is None:
        raise Http404("No such carrier.")
    form = CarrierSettingsForm(request.POST or None, carrier=carrier)
    if request.method == "POST" and form.is_valid():
        saved = _carrier_saved(request, form, carrier.pk)
        if saved is not None:
            messages.success(request, f"“{saved.name}” is saved.")
            return redirect("shipping:carrier_list")
    return _carrier_form_page(request, form, carrier)


@require_GET
@permission_required([VIEW_ORDERS, "shipping.view_shipment"], raise_exception=True)
def packing_slip(request, number: int, position: int):
    """The printable packing slip of one of the order's addresses: what goes in that parcel;
    a gift item's line shows no price (seed 003)."""
    order = Order.objects.filter(pk=order_id_or_404(request, number)).first()
    destination = OrderDestination.objects.filter(order=order, position=position).first()
    if destination is None:
        raise Http404(f"Order #{number} has no address {position}.")
    lines = list(destination.lines.order_by("id"))
    context = {
        "order": order,
        "destination": destination,
        "lines": lines,
        "has_gift": any(line.is_gift for line in lines),
    }
    return render(request, "shipping/packing_slip.html", context)


# ---- Shipping speeds (store admins, Settings → Shipping speeds) ----------------------------

SPEEDS = ["shipping.view_shippingmethod", "shipping.change_shippingmethod"]


@never_cache
@require_GET
@permission_required(SPEEDS, raise_exception=True)
def shipping_method_list(request):
    table = ShippingMethodTable(
        ShippingMethod.objects.select_related("carrier").order_by("position", "name", "id")
    )
    return render(request, "settings/shipping_method_list.html", {"table": table})


def _shipping_method_page(request, form: ShippingMethodForm, method: ShippingMethod | None):
    if request.method == "POST" and form.is_valid():
        saved = shipping_method_save(method=form.save(commit=False))
        messages.success(request, f"“{saved.name}” is saved.")
        return redirect("shipping:shipping_method_list")
    return render(request, "settings/shipping_method_form.html", {"form": form, "method": method})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required([*SPEEDS, "shipping.add_shippingmethod"], raise_exception=True)
def shipping_method_create(request):
    return _shipping_method_page(request, ShippingMethodForm(request.POST or None), None)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(SPEEDS, raise_exception=True)
def shipping_method_edit(request, pk: int):
    method = ShippingMethod.objects.filter(pk=pk).first()
    if method is None:
        raise Http404("No such shipping speed.")
    form = ShippingMethodForm(request.POST or None, instance=method)
    return _shipping_method_page(request, form, method)
