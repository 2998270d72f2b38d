"""The transactions grid's pages: the grid, its item type-ahead, the capped count behind
"select all matching", and the bulk actions other apps register."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from catalog.selectors import product_suggestions
from core.prepared import planned_for_values

from ..actors import Actor
from . import selectors
from .registry import Outcome, action_named, actions_for

VIEW_ORDERS = "orders.view_order"


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
@planned_for_values
def grid(request):
    page = selectors.line_grid(user=request.user, filters=request.GET)
    return render(
        request,
        "orders/grid.html",
        {
            "page": page,
            "filters": page.filterset,
            "actions": actions_for(request.user),
            "next_url": request.get_full_path(),
            "filter_query": page.filter_query,
            "selection_cap": selectors.SELECTION_CAP,
            "page_sizes": selectors.PAGE_SIZES,
        },
    )


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
@planned_for_values
def grid_items(request):
    """The item filter's type-ahead: at most ten products whose name has words starting
    with what was typed."""
    products = product_suggestions(q=request.GET.get("q", "")[:100])
    return JsonResponse(
        {
            "results": [
                {"id": product.pk, "name": product.name, "active": product.is_active}
                for product in products
            ]
        }
    )


@require_GET
@permission_required(VIEW_ORDERS, raise_exception=True)
@planned_for_values
def grid_count(request):
    """How many lines match the grid's filters, up to the bulk actions' cap (and whether
    more do): asked for only when staff choose to select everything matching."""
    count = selectors.line_count(user=request.user, filters=request.GET)
    cap = selectors.SELECTION_CAP
    return JsonResponse({"count": min(count, cap), "more": count > cap, "cap": cap})


def _next_url(request) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("orders:grid")


def _items(count: int) -> str:
    return f"{count:,} item{'' if count == 1 else 's'}"


def _orders(count: int) -> str:
    return f"{count:,} order{'' if count == 1 else 's'}"


def _numbers(numbers: list[int], shown: int = 5) -> str:
    listed = ", ".join(f"#{number}" for number in numbers[:shown])
    rest = len(numbers) - shown
    return f"{listed} and {rest:,} more" if rest > 0 else listed


def outcome_messages(outcome: Outcome, done_label: str) -> tuple[str, str]:
    """What a bulk action did, in a sentence, and what it refused and why, grouped by
    reason with the orders named ("" when nothing)."""
    done = ""
    if outcome.items:
        done = f"{_items(outcome.items)} on {_orders(outcome.orders)} {done_label}."
    by_reason: dict[str, list] = {}
    for refusal in outcome.refusals:
        by_reason.setdefault(refusal.reason, []).append(refusal)
    parts = []
    for reason, refusals in by_reason.items():
        items = sum(refusal.items for refusal in refusals)
        numbers = sorted({refusal.order_number for refusal in refusals})
        parts.append(f"{_items(items)} ({_numbers(numbers)}): {reason}")
    refused = f"Not {done_label}: {'; '.join(parts)}." if parts else ""
    return done, refused


@require_POST
@permission_required(VIEW_ORDERS, raise_exception=True)
def grid_action(request):
    """Run a registered bulk action on the selected lines (`line` ids), or on every line
    matching the grid's filters (`scope=matching`, the filters in `filters`), at most
    SELECTION_CAP lines. Answers with the page it came from and a summary."""
    action = action_named(request.POST.get("action", ""))
    if action is None:
        raise Http404("No such action.")
    if action.permission and not request.user.has_perm(action.permission):
        raise PermissionDenied
    back = redirect(_next_url(request))
    if request.POST.get("scope") == "matching":
        filters = QueryDict(request.POST.get("filters", ""))
        selection = selectors.line_selection(user=request.user, filters=filters)
    else:
        try:
            line_ids = [int(pk) for pk in request.POST.getlist("line")]
        except ValueError:
            return HttpResponseBadRequest("An item id is not a number.")
        selection = selectors.line_selection(user=request.user, line_ids=line_ids)
    if selection.too_many:
        messages.error(
            request,
            f"Nothing was {action.done_label}: more than {selectors.SELECTION_CAP:,} items "
            "match these filters. Narrow them (dates, item, status) and try again.",
        )
        return back
    if not selection.lines:
        messages.warning(request, "Select the items first: nothing was changed.")
        return back
    outcome = action.run(selection.lines, Actor.of(request.user))
    done, refused = outcome_messages(outcome, action.done_label)
    if done:
        messages.success(request, done)
    if refused:
        messages.error(request, refused)
    return back
