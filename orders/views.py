"""The back office's order pages. Each view parses, calls a selector or a service, renders.

POSTs follow Post/Redirect/Get; under htmx they answer with the partial to swap instead, plus
the messages as an out-of-band swap.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from core.prepared import planned_for_values

from . import moves, selectors, services
from .actors import Actor
from .filters import order_number_in
from .forms import ApiKeyForm, BulkStatusForm, NoteForm, StatusChangeForm
from .models import ApiKey, OrderStatus
from .panels import panels_for
from .status import bulk_targets, refusal
from .tables import SavedViewTable

VIEW_ORDERS = "orders.view_order"


def _htmx_partial(request, template_name: str, context: dict) -> HttpResponse:
    """A partial to swap, followed by the pending messages as an out-of-band swap.

    The messages go in a <template> so that they parse next to a table row too.
    """
    html = render_to_string(template_name, context, request)
    messages_html = render_to_string("base.html#messages", {"oob": True}, request)
    return HttpResponse(f"{html}<template>{messages_html}</template>")


def order_detail_response(request, number: int) -> HttpResponse:
    """The order's page as every action on it answers: the whole page, or under htmx the
    #order-detail partial with the messages. Apps above orders answer their order actions
    (charge, payments, …) with it too, so the page has one shape whoever changed the order."""
    order = selectors.order_detail(user=request.user, number=number)
    context = {"order": order, "note_form": NoteForm(), "panels": panels_for(request, order)}
    if request.htmx:
        return _htmx_partial(request, "orders/order_detail.html#detail", context)
    return render(request, "orders/order_detail.html", context)


def _next_url(request, default: str) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def order_id_or_404(request, number: int) -> int:
    """The id of order `number` (the order page's actions, in this app and those above)."""
    order_id = selectors.order_id_by_number(user=request.user, number=number)
    if order_id is None:
        raise Http404(f"No order #{number}.")
    return order_id


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


# A bulk change applies to this many orders at most (the first ones the list shows).
BULK_CAP = 500


def _list_columns(can_change_status: bool) -> int:
    """How many columns the order list has (its tick box column only for those who may act)."""
    return 9 if can_change_status else 8


def order_row_response(
    request, number: int, *, changed: bool, form_html: str = "", closes_form: bool = False
) -> HttpResponse:
    """Order `number`'s list row, for htmx to swap in place of the row it targets, with the
    messages. With `form_html` (a move's form, see orders.moves) the form opens under the row,
    and the row's status menu waits for it. `closes_form`: the form was used or cancelled, so
    it goes, and the row takes its place whatever the request targeted."""
    order = selectors.order_row(user=request.user, number=number)
    context = {
        "order": order,
        "next_url": _next_url(request, reverse("orders:list")),
        "changed": changed,
        "form_open": bool(form_html),
        "can_change_status": request.user.has_perm("orders.change_order_status"),
    }
    html = render_to_string("orders/order_list.html#row", context, request)
    if form_html:
        html += form_html
    if closes_form:
        form_row = moves.form_row_id(number)
        html += f'<template><tr id="{form_row}" hx-swap-oob="delete"></tr></template>'
    messages_html = render_to_string("base.html#messages", {"oob": True}, request)
    response = HttpResponse(f"{html}<template>{messages_html}</template>")
    if closes_form:
        response["HX-Retarget"] = f"#order-{number}"
        response["HX-Reswap"] = "outerHTML"
    return response


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
@planned_for_values
def order_list(request):
    number = order_number_in(request.GET.get("q", ""))
    if number is not None and selectors.order_id_by_number(user=request.user, number=number):
        return redirect("orders:detail", number=number)
    page = selectors.order_list(user=request.user, filters=request.GET)
    if page.newest_unseen_id is not None:
        # Showing the newest online orders is seeing them: this user's badge clears.
        services.new_orders_mark_seen(user=request.user, up_to_id=page.newest_unseen_id)
    can_change_status = request.user.has_perm("orders.change_order_status")
    list_query = selectors.list_filters(request.GET.urlencode())
    return render(
        request,
        "orders/order_list.html",
        {
            "page": page,
            "filters": page.filterset,
            "tab_counts": selectors.order_tab_counts(user=request.user, filters=request.GET),
            "next_url": request.get_full_path(),
            "can_change_status": can_change_status,
            "columns": _list_columns(can_change_status),
            "bulk_targets": [(status, OrderStatus(status).label) for status in bulk_targets()],
            "bulk_query": list_query.urlencode(),
            "bulk_cap": BULK_CAP,
            "page_sizes": selectors.PAGE_SIZES,
        },
    )


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
@planned_for_values
def order_number_suggestions(request):
    """The lookup box's type-ahead: orders whose number starts with the digits typed."""
    results = selectors.order_number_suggestions(
        user=request.user, text=request.GET.get("q", "")[:20]
    )
    return JsonResponse({"results": results})


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
def order_row(request, number: int):
    """Order `number`'s list row as it is now, in place of a move's form that was cancelled."""
    if not request.htmx:
        return redirect("orders:detail", number=number)
    return order_row_response(request, number, changed=False, closes_form=True)


@login_not_required
@never_cache
@require_GET
def new_online_orders(request):
    """The nav's badge of online orders this user has not seen, polled by htmx. Two queries:
    the session's user, then the mark and the count together (a user's very first poll
    adds one, starting their mark at the newest order). It says a number and nothing else.

    Not behind the login redirect: a tab left open past its session would follow it and swap
    the login page into the nav. It answers htmx's "stop polling" instead, and still refuses
    a signed-in user who may not view orders.
    """
    if not request.user.is_authenticated:
        if request.htmx:
            return HttpResponseStopPolling()
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm(VIEW_ORDERS):
        raise PermissionDenied
    new = selectors.new_online_orders(user=request.user)
    if new is None:
        services.new_orders_marker_create(user=request.user)
    return render(request, "orders/_new_orders.html#badge", {"new": new})


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
def order_detail(request, number: int):
    return order_detail_response(request, number)


@require_POST
@permission_required([VIEW_ORDERS, "orders.change_order_status"], raise_exception=True)
def order_status_change(request, number: int):
    order_id = order_id_or_404(request, number)
    move_form = moves.move_form_for(request.POST.get("to", ""), user=request.user)
    if move_form is not None:
        return _move_form_opened(request, number, move_form)
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Order #{number}: {_first_error(form)}")
    else:
        try:
            services.order_transition(
                order_id=order_id,
                to=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
                actor=Actor.of(request.user),
            )
        except services.OrderError as exc:
            messages.error(request, f"Order #{number} was not changed: {exc}")
        else:
            # Say what the move undid or did (stock, codes, links, refunds), as the timeline
            # recorded it: a rollback's message names exactly what was restored.
            label = OrderStatus(form.cleaned_data["to"]).label
            effects = selectors.order_effects_of_last_move(order_id=order_id)
            messages.success(request, " ".join([f"Order #{number} is now {label}.", *effects]))

    if request.htmx:
        if request.POST.get("partial") == "detail":
            return order_detail_response(request, number)
        return order_row_response(request, number, changed=True)
    return redirect(_next_url(request, reverse("orders:detail", kwargs={"number": number})))


def _move_form_opened(request, number: int, move_form: moves.MoveForm) -> HttpResponse:
    """A move made with another app's form (Shipped: the courier and tracking number): under
    htmx the form opens in place, under the order's row; otherwise the form's page."""
    label = OrderStatus(move_form.target).label
    if not (request.htmx and request.POST.get("partial") == "row"):
        messages.info(
            request,
            f"Order #{number} becomes {label} with {move_form.asks_for}: fill them in here.",
        )
        return redirect(move_form.page_url(number))
    order = selectors.order_row(user=request.user, number=number)
    if move_form.target not in {move.target for move in order.transitions}:
        # The form would record the shipment, so say only what else stands in the way.
        reason = refusal(order, move_form.target, shipment_recorded=True)
        messages.error(request, f"Order #{number} was not changed: {reason}")
        return order_row_response(request, number, changed=False)
    form_html = move_form.row_html(request, number, _list_columns(can_change_status=True))
    return order_row_response(request, number, changed=False, form_html=form_html)


@require_POST
@permission_required([VIEW_ORDERS, "orders.change_order_status"], raise_exception=True)
def order_bulk_status(request):
    """Change the status of the ticked orders, or of every order the list's filters match
    (up to BULK_CAP), each on its own: one refused leaves the others changed. Answers with a
    summary of what changed and what was refused, and why (Post/Redirect/Get: the plain form
    works without JavaScript)."""
    back = _next_url(request, reverse("orders:list"))
    form = BulkStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No order was changed: {_first_error(form)}")
        return redirect(back)
    data = form.cleaned_data
    if data["scope"] == BulkStatusForm.MATCHING:
        filters = QueryDict(data["query"])
        targets = selectors.order_bulk_targets(
            user=request.user, filters=filters, limit=BULK_CAP + 1
        )
    else:
        targets = selectors.orders_by_number(user=request.user, numbers=data["order"])
    if not targets:
        messages.error(request, "No order was changed: no order matches.")
        return redirect(back)
    outcome = services.orders_transition_each(
        orders=targets[:BULK_CAP], to=data["to"], actor=Actor.of(request.user)
    )
    level, summary = _bulk_summary(outcome, capped=len(targets) > BULK_CAP)
    messages.add_message(request, level, summary)
    return redirect(back)


# A bulk summary names this many refused orders, then counts the rest.
BULK_REFUSALS_NAMED = 10


def _bulk_summary(outcome: services.BulkOutcome, *, capped: bool) -> tuple[int, str]:
    """ "12 changed to Complete; 3 refused: #1041 Paid → Complete: Items are still waiting to
    be shipped; …", and the message level it deserves."""
    label = OrderStatus(outcome.to).label
    changed = len(outcome.changed)
    parts = [f"{changed} changed to {label}" if changed else f"None changed to {label}"]
    if outcome.refused:
        named = [
            f"#{r.number} {OrderStatus(r.from_status).label} → {label}: {r.reason.rstrip('.')}"
            for r in outcome.refused[:BULK_REFUSALS_NAMED]
        ]
        more = len(outcome.refused) - len(named)
        if more:
            named.append(f"and {more} more")
        parts.append(f"{len(outcome.refused)} refused: " + "; ".join(named))
    text = "; ".join(parts) + "."
    if capped:
        text += f" Only the first {BULK_CAP} matching orders were changed: apply it again for more."
    if not outcome.refused:
        return messages.SUCCESS, text
    return (messages.WARNING if changed else messages.ERROR), text


@require_POST
@permission_required([VIEW_ORDERS, "orders.add_order_note"], raise_exception=True)
def order_note_add(request, number: int):
    order_id = order_id_or_404(request, number)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
    else:
        try:
            services.order_note_add(
                order_id=order_id, text=form.cleaned_data["text"], actor=Actor.of(request.user)
            )
        except services.OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Note added to the timeline.")
            form = NoteForm()

    if request.htmx:
        order = selectors.order_detail(user=request.user, number=number)
        context = {"order": order, "note_form": form}
        return _htmx_partial(request, "orders/order_detail.html#timeline", context)
    return redirect(reverse("orders:detail", kwargs={"number": number}) + "#timeline")


@require_POST
@permission_required([VIEW_ORDERS, "orders.delete_order"], raise_exception=True)
def order_delete(request, number: int):
    """Delete a never-paid order (spam, tests), where orders.services.order_delete allows it."""
    order_id = order_id_or_404(request, number)
    try:
        services.order_delete(order_id=order_id, actor=Actor.of(request.user))
    except services.OrderError as exc:
        messages.error(request, f"Order #{number} was not deleted: {exc}")
        return redirect("orders:detail", number=number)
    messages.success(request, f"Order #{number} was deleted.")
    return redirect("orders:list")


@require_GET
@permission_required("orders.view_apikey", raise_exception=True)
def apikey_list(request):
    keys = selectors.apikey_list(user=request.user)
    return render(request, "settings/apikey_list.html", {"keys": keys})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(["orders.view_apikey", "orders.add_apikey"], raise_exception=True)
def apikey_create(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = services.apikey_create(
                name=form.cleaned_data["name"],
                channel=form.cleaned_data["channel"],
                actor=Actor.of(request.user),
            )
        except services.OrderError as exc:
            form.add_error(None, str(exc))
        else:
            # Rendered, not redirected: the raw key lives in this one response and nowhere
            # else (not the URL, not the session), and never_cache keeps it out of caches.
            return render(request, "settings/apikey_created.html", {"key": key, "raw_key": raw})
    return render(request, "settings/apikey_form.html", {"form": form})


@require_POST
@permission_required(["orders.view_apikey", "orders.change_apikey"], raise_exception=True)
def apikey_revoke(request, pk: int):
    try:
        key = services.apikey_revoke(api_key_id=pk, actor=Actor.of(request.user))
    except ApiKey.DoesNotExist as exc:
        raise Http404("No such API key.") from exc
    messages.success(request, f"“{key.name}” is revoked: requests with it are refused from now on.")
    return redirect("orders:apikey_list")


@login_not_required
@require_GET
def download(request, signed_token: str):
    """A buyer's digital file. The same 404 for a forged, expired, revoked or unknown link."""
    link = selectors.download_link_live(signed_token=signed_token)
    if link is None:
        raise Http404("This download link is not valid (it may have expired).")
    services.download_link_use(link_id=link.pk)
    return FileResponse(
        link.digital_file.file.open("rb"),
        as_attachment=True,
        filename=link.digital_file.file.name.rsplit("/", 1)[-1],
    )


def back_to_order(request, number: int) -> HttpResponse:
    """How an order-page action answers: the #order-detail partial under htmx, else PRG."""
    if request.htmx:
        return order_detail_response(request, number)
    return redirect("orders:detail", number=number)


def _saved_view_back(page: str, query: str) -> str:
    name = selectors.SAVED_VIEW_LISTS.get(page, "orders:list")
    base = reverse(name)
    return f"{base}?{query}" if query else base


@require_POST
@permission_required([VIEW_ORDERS, "orders.add_savedview"], raise_exception=True)
def saved_view_save(request):
    page, query = request.POST.get("page", ""), request.POST.get("query", "")
    shared = request.POST.get("shared") == "on"
    try:
        view = services.saved_view_save(
            user=request.user,
            page=page,
            name=request.POST.get("name", ""),
            query=query,
            shared=shared,
        )
    except services.OrderError as error:
        messages.error(request, str(error))
        return redirect(_saved_view_back(page, selectors.saved_view_query(query)))
    whom = "everyone's tabs" if view.shared else "your tabs"
    messages.success(request, f"Saved “{view.name}”: it is in {whom} now.")
    return redirect(_saved_view_back(view.page, view.query))


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
def saved_view_list(request):
    table = SavedViewTable(selectors.saved_views_manageable(user=request.user))
    return render(request, "orders/saved_view_list.html", {"table": table})


@require_POST
@permission_required(VIEW_ORDERS, raise_exception=True)
def saved_view_delete(request, pk: int):
    manage = request.POST.get("next") == "manage"
    try:
        view = services.saved_view_delete(user=request.user, view_id=pk)
    except services.OrderError as error:
        messages.error(request, str(error))
        if manage:
            return redirect("orders:saved_view_list")
        return redirect(_saved_view_back(request.POST.get("page", "orders"), ""))
    messages.success(request, f"Deleted the view “{view.name}”.")
    if manage:
        return redirect("orders:saved_view_list")
    return redirect(_saved_view_back(view.page, ""))
