"""Order entry's pages (seed 003): thin; every rule is in entry.services / entry.placing.

Each step is a page of its own (Contact, Items, Shipping details, Review); every change posts,
is saved on the draft at once, and comes back to its step (Post/Redirect/Get), or, inside the
add-item dialog, swaps the dialog's body (htmx). A refusal shows its reason and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from catalog.selectors import product_suggestions
from core.prepared import planned_for_values
from orders.actors import Actor
from payments.forms import ManualPaymentForm
from promotions.selectors import promotion_choices

from . import placing, selectors, services
from .forms import AddressForm, CodeForm, ContactFilterForm, ContactForm, LineForm, PlaceForm
from .models import Draft
from .tables import DraftTable

ENTER = ["orders.view_order", "entry.add_draft", "entry.change_draft"]
DISCARD = [*ENTER, "entry.delete_draft"]


def _to_step(draft_id: int, step: str):
    return redirect(reverse(f"entry:{step}", kwargs={"pk": draft_id}))


def _refused(request, exc: services.EntryError) -> None:
    messages.error(request, str(exc))


def _context(request, draft: Draft, step: str, **extra) -> dict:
    addresses = selectors.contact_addresses(profile_id=draft.profile_id)
    return {
        "draft": draft,
        "draft_id": draft.pk,
        "step": step,
        "addresses": addresses,
        "ships": selectors.ships_anything(draft),
        **extra,
    }


@require_GET
@permission_required(ENTER, raise_exception=True)
def draft_list(request):
    table = DraftTable(selectors.draft_list(owner=request.user))
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "entry/draft_list.html", {"table": table})


@require_POST
@permission_required(ENTER, raise_exception=True)
def draft_start(request):
    """*Add cart order*: a new draft, saved at once, opened at its contact step."""
    draft = services.draft_create(owner=request.user)
    return _to_step(draft.pk, Draft.Step.CONTACT)


@require_POST
@permission_required(DISCARD, raise_exception=True)
def draft_discard(request, pk: int):
    try:
        services.draft_discard(draft_id=pk, owner=request.user)
    except services.EntryError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Draft {pk} discarded.")
    return redirect("entry:drafts")


@require_GET
@permission_required(ENTER, raise_exception=True)
def contact(request, pk: int):
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    context = _context(
        request,
        draft,
        "contact",
        search=ContactFilterForm(),
        contact_form=ContactForm(),
        address_form=AddressForm(),
    )
    return render(request, "entry/contact.html", context)


@require_GET
@permission_required(ENTER, raise_exception=True)
@planned_for_values
def contact_suggestions(request, pk: int):
    """The contacts matching what is typed and the filter, as htmx swaps them in."""
    form = ContactFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    results = selectors.contact_suggestions(
        q=data.get("q", ""),
        city=data.get("city", "").strip(),
        domain=data.get("domain", "").strip(),
        ordered_before=data.get("ordered_before", False),
    )
    searched = any(data.get(k) for k in ("q", "city", "domain", "ordered_before"))
    return render(
        request,
        "entry/contact.html#suggestions",
        {"results": results, "searched": searched, "draft_id": pk},
    )


@require_POST
@permission_required(ENTER, raise_exception=True)
def contact_pick(request, pk: int):
    try:
        services.draft_contact_set(
            draft_id=pk, owner=request.user, profile_id=int(request.POST.get("profile") or 0)
        )
    except services.EntryError as exc:
        _refused(request, exc)
    return _to_step(pk, Draft.Step.CONTACT)


@require_POST
@permission_required(ENTER, raise_exception=True)
def contact_create(request, pk: int):
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            profile = services.draft_contact_create(
                draft_id=pk, owner=request.user, **form.cleaned_data
            )
        except services.EntryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Contact “{profile}” created.")
            return _to_step(pk, Draft.Step.CONTACT)
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    context = _context(
        request,
        draft,
        "contact",
        search=ContactFilterForm(),
        contact_form=form,
        address_form=AddressForm(),
        creating=True,
    )
    return render(request, "entry/contact.html", context)


@require_POST
@permission_required(ENTER, raise_exception=True)
def address_add(request, pk: int):
    form = AddressForm(request.POST)
    if form.is_valid():
        try:
            services.draft_address_add(draft_id=pk, owner=request.user, **form.cleaned_data)
        except services.EntryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Address added.")
            back = "shipping" if request.POST.get("next") == "shipping" else "contact"
            return _to_step(pk, back)
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    context = _context(
        request,
        draft,
        "contact",
        search=ContactFilterForm(),
        contact_form=ContactForm(),
        address_form=form,
    )
    return render(request, "entry/contact.html", context)


@require_POST
@permission_required(ENTER, raise_exception=True)
def contact_next(request, pk: int):
    try:
        services.draft_contact_confirm(draft_id=pk, owner=request.user)
    except services.EntryError as exc:
        _refused(request, exc)
        return _to_step(pk, Draft.Step.CONTACT)
    return _to_step(pk, Draft.Step.ITEMS)


@require_GET
@permission_required(ENTER, raise_exception=True)
def items(request, pk: int):
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    context = _context(request, draft, "items")
    context["quote"] = selectors.draft_quote(draft, context["addresses"])
    context["rows"] = selectors.line_rows(draft, context["quote"])
    context["promotions"] = promotion_choices(now=timezone.now())
    context["code_form"] = CodeForm()
    return render(request, "entry/items.html", context)


@require_GET
@permission_required(ENTER, raise_exception=True)
def item_dialog(request, pk: int):
    """The add-item dialog's body: a product search, or (product=) its variants and quantity,
    or (line=) the item being edited."""
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    line = None
    if request.GET.get("line", "").isdigit():
        line = next((x for x in draft.lines.all() if x.pk == int(request.GET["line"])), None)
    product_id = line.variant.product_id if line else request.GET.get("product", "")
    if not str(product_id).isdigit():
        return render(request, "entry/_item_dialog.html#search", {"draft": draft})
    product = selectors.product_variants(product_id=int(product_id))
    initial = {"variant": line.variant_id, "quantity": line.quantity} if line else None
    return _variant_form(request, draft, product, LineForm(initial=initial), line)


def _variant_form(request, draft, product, form, line=None, error=""):
    context = {
        "draft": draft,
        "product": product,
        "variants": list(product.variants.all()),
        "form": form,
        "line": line,
        "error": error,
        "backorders": selectors.allows_backorders(),
    }
    return render(request, "entry/_item_dialog.html#variant", context)


@require_GET
@permission_required(ENTER, raise_exception=True)
@planned_for_values
def product_search(request, pk: int):
    results = product_suggestions(q=request.GET.get("q", ""))
    return render(
        request,
        "entry/_item_dialog.html#results",
        {"results": [p for p in results if p.is_active], "q": request.GET.get("q", ""), "pk": pk},
    )


def _back_to_items(pk: int) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("entry:items", kwargs={"pk": pk})
    return response


@require_POST
@permission_required(ENTER, raise_exception=True)
def line_save(request, pk: int):
    """Add an item (or, with line=, change one) from the dialog: refused, the dialog shows why."""
    form = LineForm(request.POST)
    line_id = request.POST.get("line", "")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if line_id.isdigit():
                services.draft_line_edit(
                    draft_id=pk,
                    owner=request.user,
                    line_id=int(line_id),
                    variant_id=data["variant"],
                    quantity=data["quantity"],
                )
            else:
                services.draft_line_add(
                    draft_id=pk,
                    owner=request.user,
                    variant_id=data["variant"],
                    quantity=data["quantity"],
                )
        except services.EntryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Item saved." if line_id else "Item added.")
            return _back_to_items(pk)
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    product = selectors.product_variants(product_id=int(request.POST.get("product") or 0))
    line = next((x for x in draft.lines.all() if str(x.pk) == line_id), None)
    return _variant_form(request, draft, product, form, line)


def _step_action(request, pk: int, action, done: str, step: str = Draft.Step.ITEMS):
    try:
        action()
    except services.EntryError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return _to_step(pk, step)


@require_POST
@permission_required(ENTER, raise_exception=True)
def line_remove(request, pk: int, line_id: int):
    return _step_action(
        request,
        pk,
        lambda: services.draft_line_remove(draft_id=pk, owner=request.user, line_id=line_id),
        "Item removed.",
    )


@require_POST
@permission_required(ENTER, raise_exception=True)
def promotion_add(request, pk: int):
    promotion_id = int(request.POST.get("promotion") or 0)
    return _step_action(
        request,
        pk,
        lambda: services.draft_promotion_add(
            draft_id=pk, owner=request.user, promotion_id=promotion_id
        ),
        "Promotion added with its items.",
    )


@require_POST
@permission_required(ENTER, raise_exception=True)
def promotion_remove(request, pk: int, promotion_id: int):
    return _step_action(
        request,
        pk,
        lambda: services.draft_promotion_remove(
            draft_id=pk, owner=request.user, promotion_id=promotion_id
        ),
        "Promotion removed with every item it added.",
    )


@require_POST
@permission_required(ENTER, raise_exception=True)
def code_add(request, pk: int):
    step = request.POST.get("step") if request.POST.get("step") == "review" else "items"
    code = request.POST.get("code", "")
    return _step_action(
        request,
        pk,
        lambda: services.draft_code_add(draft_id=pk, owner=request.user, code=code),
        f"Code “{code.strip()}” applied.",
        step,
    )


@require_POST
@permission_required(ENTER, raise_exception=True)
def code_remove(request, pk: int):
    step = request.POST.get("step") if request.POST.get("step") == "review" else "items"
    code = request.POST.get("code", "")
    return _step_action(
        request,
        pk,
        lambda: services.draft_code_remove(draft_id=pk, owner=request.user, code=code),
        f"Code “{code.strip()}” removed.",
        step,
    )


@require_POST
@permission_required(ENTER, raise_exception=True)
def items_next(request, pk: int):
    """Save the items and go on: to Shipping details if anything ships, else to Review."""
    try:
        step = services.draft_items_confirm(draft_id=pk, owner=request.user)
    except services.EntryError as exc:
        _refused(request, exc)
        return _to_step(pk, Draft.Step.ITEMS)
    return _to_step(pk, step)


@require_GET
@permission_required(ENTER, raise_exception=True)
def shipping(request, pk: int):
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    many = request.GET.get("many") == "1" if "many" in request.GET else draft.ship_to_many
    context = _context(request, draft, "shipping", many=many, address_form=AddressForm())
    context["methods"] = selectors.active_shipping_methods()
    context["plan"] = selectors.shipping_plan(draft, context["addresses"])
    return render(request, "entry/shipping.html", context)


@require_POST
@permission_required(ENTER, raise_exception=True)
def shipping_save(request, pk: int):
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    many = request.POST.get("many") == "1"
    try:
        allocations, speeds = _shipping_choice(request.POST, draft, many)
        services.draft_shipping_set(
            draft_id=pk,
            owner=request.user,
            allocations=allocations,
            speeds=speeds,
            ship_to_many=many,
        )
    except services.EntryError as exc:
        _refused(request, exc)
        return redirect(reverse("entry:shipping", kwargs={"pk": pk}) + ("?many=1" if many else ""))
    return _to_step(pk, Draft.Step.REVIEW)


def _number(value: str | None, field: str) -> int:
    try:
        return int(value or 0)
    except ValueError as exc:
        raise services.EntryError("Enter whole numbers for quantities.", field) from exc


def _shipping_choice(post, draft: Draft, many: bool):
    """The allocations and speeds posted: one address for every item, or (many) a quantity
    and a gift flag per item and address."""
    lines = [line for line in draft.lines.all() if line.variant.product.is_shippable]
    addresses = selectors.contact_addresses(profile_id=draft.profile_id)
    speeds = {a.pk: _number(post.get(f"speed_{a.pk}"), f"speed_{a.pk}") or None for a in addresses}
    if not many:
        address_id = _number(post.get("address"), "address")
        return [services.Allocation(ln.pk, address_id, ln.quantity) for ln in lines], speeds
    allocations = [
        services.Allocation(
            line.pk,
            a.pk,
            _number(post.get(f"qty_{line.pk}_{a.pk}"), f"qty_{line.pk}"),
            post.get(f"gift_{line.pk}_{a.pk}") == "on",
        )
        for line in lines
        for a in addresses
    ]
    return [a for a in allocations if a.quantity], speeds


@require_GET
@permission_required(ENTER, raise_exception=True)
def review(request, pk: int):
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    if selectors.awaits_shipping(draft):
        messages.info(request, "Choose where the items ship first.")
        return _to_step(pk, Draft.Step.SHIPPING)
    return _review_page(request, draft, PlaceForm(initial={"payment": draft.payment}))


def _review_page(request, draft: Draft, form: PlaceForm, offline=None):
    context = _context(request, draft, "review", form=form, code_form=CodeForm())
    context["quote"] = quote = selectors.draft_quote(draft, context["addresses"])
    context["groups"] = selectors.review_groups(draft, quote)
    context["offline"] = offline or ManualPaymentForm(
        total=quote.total, currency=selectors.currency()
    )
    context["last_token"] = selectors.last_card_token(profile_id=draft.profile_id)
    return render(request, "entry/review.html", context)


@require_POST
@permission_required(ENTER, raise_exception=True)
def place(request, pk: int):
    """Place the order: one transaction (entry.placing); refused, the review says why and the
    draft is as it was."""
    draft = selectors.draft_of(draft_id=pk, owner=request.user)
    form = PlaceForm(request.POST)
    offline = None
    if not form.is_valid():
        return _review_page(request, draft, form)
    choice = form.cleaned_data["payment"]
    if choice == Draft.Payment.OFFLINE:
        quote = selectors.draft_quote(
            draft, selectors.contact_addresses(profile_id=draft.profile_id)
        )
        offline = ManualPaymentForm(request.POST, total=quote.total, currency=selectors.currency())
        if not offline.is_valid():
            messages.error(request, "Nothing was placed: see the offline payment for why.")
            return _review_page(request, draft, form, offline)
    allowed = {
        Draft.Payment.OFFLINE: "payments.record_manual_payment",
        Draft.Payment.CHARGE: "payments.charge_order",
    }
    if choice in allowed and not request.user.has_perm(allowed[choice]):
        messages.error(request, "You may not take payments: place it unpaid.")
        return _review_page(request, draft, form)
    payment = placing.Payment(
        choice=choice,
        info=offline.payment_info() if offline else None,
        card_token=form.cleaned_data["card_token"].strip(),
    )
    try:
        placed = placing.draft_place(
            draft_id=pk, owner=request.user, payment=payment, actor=Actor.of(request.user)
        )
    except services.EntryError as exc:
        messages.error(request, str(exc))
        return _review_page(request, draft, form, offline)
    messages.success(request, placed.message)
    return redirect(placed.order.get_absolute_url())
