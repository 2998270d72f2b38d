"""Payments in the back office: the gateways' silent response, the order page's payment
actions (charge, offline payment, payment update request) and the gateway settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.actors import Actor
from orders.services import OrderError
from orders.views import back_to_order, order_detail_response, order_id_or_404

from . import selectors, setup
from .charging import ChargeOutcome, NoGatewayConfigured, order_charge
from .emails import payment_update_request_queue
from .forms import GatewayForm, ManualPaymentForm
from .gateways.base import InvalidNotification
from .models import Gateway, PaymentAttempt
from .notifications import UnknownGateway, notification_receive
from .panels import keep_manual_form
from .services import AlreadyPaid, PaymentError, order_mark_paid
from .tables import GatewayTable


@csrf_exempt
@login_not_required
@require_POST
def notify(request, gateway_id: int):
    """The gateways' silent response: signed, not logged in. The reason for a rejection is
    logged, not told (a forger learns nothing from it)."""
    try:
        result = notification_receive(
            gateway_id=gateway_id, body=request.body, headers=request.headers
        )
    except UnknownGateway:
        return JsonResponse({"error": "Unknown gateway."}, status=404)
    except InvalidNotification:
        return JsonResponse({"error": "Notification rejected."}, status=400)
    return JsonResponse(
        {"received": True, "outcome": result.outcome, "duplicate": result.duplicate}
    )


# ---- The order page's payment actions ------------------------------------------------------
# Each answers like the order page's other actions: PRG, or under htmx the #order-detail
# partial with the messages.

VIEW_ORDERS = "orders.view_order"


def _no_gateway_message(request) -> str:
    if request.user.has_perm("payments.add_gateway"):
        return format_html(
            'No payment gateway is configured. <a href="{}">Set one up.</a>',
            reverse("payments:gateway_list"),
        )
    return "No payment gateway is configured: ask a store admin to set one up."


def _tell_outcome(request, number: int, outcome: ChargeOutcome) -> None:
    attempt = outcome.attempt
    if outcome.approved and outcome.held:
        code = attempt.authorization_code if attempt else ""
        text = f"Approved — but {outcome.held}; the order is held for review." + (
            f" Authorization code {code}." if code else ""
        )
        messages.warning(request, f"{text} Order #{number} is paid.")
    elif outcome.approved:
        code = attempt.authorization_code if attempt else ""
        text = f"Approved: authorization code {code}." if code else "Approved."
        messages.success(request, f"{text} Order #{number} is paid.")
    elif attempt is not None and attempt.outcome == PaymentAttempt.Outcome.DECLINED:
        messages.error(
            request,
            f"{outcome.message.rstrip('.')}. Order #{number} stays Pending: email the customer "
            "to update their payment method.",
        )
    elif attempt is not None and attempt.outcome == PaymentAttempt.Outcome.TIMEOUT:
        messages.warning(request, f"{outcome.message} Order #{number} is unchanged.")
    else:
        messages.error(request, f"Order #{number} was not charged: {outcome.message}")


@require_POST
@permission_required([VIEW_ORDERS, "payments.charge_order"], raise_exception=True)
def charge(request, number: int):
    """The *Charge $X.XX* button: charge the order's card through the active gateway."""
    order_id = order_id_or_404(request, number)
    try:
        outcome = order_charge(order_id=order_id, actor=Actor.of(request.user))
    except NoGatewayConfigured:
        messages.error(request, _no_gateway_message(request))
    except PaymentError as exc:
        messages.error(request, f"Order #{number} was not charged: {exc}")
    else:
        _tell_outcome(request, number, outcome)
    return back_to_order(request, number)


@require_POST
@permission_required([VIEW_ORDERS, "payments.record_manual_payment"], raise_exception=True)
def manual_payment(request, number: int):
    """Record an offline payment (check, wire transfer, card processed by hand): the order is
    paid, with all that means. A refusal shows on the form and changes nothing."""
    order = selectors.order_to_pay(number=number)
    form = ManualPaymentForm(request.POST, total=order.total, currency=order.currency)
    if form.is_valid():
        try:
            payment = order_mark_paid(
                order_id=order.pk,
                payment=form.payment_info(),
                actor=Actor.of(request.user),
                note=form.cleaned_data["note"],
            )
        except AlreadyPaid as exc:
            messages.error(request, f"Nothing was recorded: {exc}")
            return back_to_order(request, number)
        except OrderError as exc:  # the amount, or the sale refused (out of stock, codes)
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"{payment.get_method_display()} payment recorded. Order #{number} is paid.",
            )
            return back_to_order(request, number)
    messages.error(request, "The offline payment was not recorded: see the form for why.")
    keep_manual_form(request, form)
    return order_detail_response(request, number)


@require_POST
@permission_required([VIEW_ORDERS, "payments.charge_order"], raise_exception=True)
def payment_update_request(request, number: int):
    """Queue the "please update your payment method" email (sent by the worker)."""
    order_id = order_id_or_404(request, number)
    try:
        order = payment_update_request_queue(order_id=order_id, actor=Actor.of(request.user))
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Payment update request queued: {order.customer_email} will get it shortly."
        )
    return back_to_order(request, number)


# ---- Gateway settings (store admins) -------------------------------------------------------


def _notification_url(request, gateway: Gateway) -> str:
    return request.build_absolute_uri(gateway.notification_path())


@require_GET
@permission_required("payments.view_gateway", raise_exception=True)
def gateway_list(request):
    gateways = list(selectors.gateway_list(user=request.user))
    for gateway in gateways:
        gateway.notification_url = _notification_url(request, gateway)
    table = GatewayTable(gateways, can_change=request.user.has_perm("payments.change_gateway"))
    return render(request, "settings/gateway_list.html", {"gateways": gateways, "table": table})


def _gateway_form_page(request, form: GatewayForm, gateway: Gateway | None):
    context = {"form": form, "gateway": gateway}
    if gateway is not None:
        context["notification_url"] = _notification_url(request, gateway)
    return render(request, "settings/gateway_form.html", context)


def _gateway_saved(request, form: GatewayForm, gateway_id: int | None):
    data = form.cleaned_data
    return setup.gateway_save(
        gateway_id=gateway_id,
        kind=data["kind"],
        name=data["name"],
        mode=data["mode"],
        is_active=data["is_active"],
        credentials=form.credentials(),
        actor=Actor.of(request.user),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(["payments.view_gateway", "payments.add_gateway"], raise_exception=True)
def gateway_create(request):
    form = GatewayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gateway = _gateway_saved(request, form, None)
        except setup.GatewaySetupError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"“{gateway.name}” is saved. Paste its notification URL into the gateway's "
                "panel so that it can tell us about payments.",
            )
            return redirect("payments:gateway_edit", pk=gateway.pk)
    return _gateway_form_page(request, form, None)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(["payments.view_gateway", "payments.change_gateway"], raise_exception=True)
def gateway_edit(request, pk: int):
    gateway = Gateway.objects.filter(pk=pk).first()
    if gateway is None:
        raise Http404("No such gateway.")
    form = GatewayForm(request.POST or None, gateway=gateway)
    if request.method == "POST" and form.is_valid():
        try:
            gateway = _gateway_saved(request, form, gateway.pk)
        except setup.GatewaySetupError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"“{gateway.name}” is saved.")
            return redirect("payments:gateway_edit", pk=gateway.pk)
    return _gateway_form_page(request, form, gateway)


@require_POST
@permission_required(["payments.view_gateway", "payments.change_gateway"], raise_exception=True)
def gateway_activate(request, pk: int):
    try:
        gateway = setup.gateway_activate(gateway_id=pk, actor=Actor.of(request.user))
    except Gateway.DoesNotExist as exc:
        raise Http404("No such gateway.") from exc
    except setup.GatewaySetupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Orders are charged through “{gateway.name}” from now on.")
    return redirect("payments:gateway_list")


@require_POST
@permission_required(["payments.view_gateway", "payments.change_gateway"], raise_exception=True)
def gateway_deactivate(request, pk: int):
    try:
        gateway = setup.gateway_deactivate(gateway_id=pk, actor=Actor.of(request.user))
    except Gateway.DoesNotExist as exc:
        raise Http404("No such gateway.") from exc
    messages.warning(
        request, f"“{gateway.name}” is inactive: orders cannot be charged until one is active."
    )
    return redirect("payments:gateway_list")
