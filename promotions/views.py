"""Settings → Promotions and Tax rates. Store admins edit; order staff may look."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import PromotionForm, PromotionItemFormSet, TaxRateForm, TaxSettingsForm
from .models import Promotion, TaxRate
from .pricing import COMBINATION_RULES
from .selectors import (
    code_use_list,
    promotion_items,
    promotion_list,
    sku_suggestions,
    tax_rate_list,
    tax_shipping,
)
from .services import (
    ItemSpec,
    promotion_deactivate,
    promotion_save,
    tax_rate_delete,
    tax_rate_save,
    tax_settings_update,
)
from .tables import CodeUseTable, PromotionTable, TaxRateTable, discount_label

VIEW = "promotions.view_promotion"
EDIT = [VIEW, "promotions.change_promotion"]
CREATE = [*EDIT, "promotions.add_promotion"]
TAXES = "promotions.view_taxrate"
TAXES_EDIT = [TAXES, "promotions.change_taxrate", "promotions.add_taxrate"]


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def promotion_list_view(request):
    page = promotion_list(filters=request.GET, now=timezone.now())
    empty = (
        "No promotions match these filters."
        if page.active
        else "No promotions yet. Add a code or a product promotion."
    )
    can_edit = request.user.has_perms(EDIT)
    table = PromotionTable(page.rows, can_edit=can_edit, empty_text=empty)
    context = {
        "page": page,
        "table": table,
        "rules": COMBINATION_RULES,
        "kinds": Promotion.Kind.choices,
    }
    return render(request, "settings/promotion_list.html", context)


def _promotion_or_404(pk: int) -> Promotion:
    promotion = Promotion.objects.filter(pk=pk).first()
    if promotion is None:
        raise Http404("No such promotion.")
    return promotion


def _initial_items(promotion: Promotion | None) -> list[dict]:
    if promotion is None or not promotion.pk:
        return []
    return [
        {"sku": i.variant.sku, "quantity": i.quantity, "unit_discount": i.unit_discount}
        for i in promotion_items(promotion_id=promotion.pk)
    ]


def _promotion_form(request, kind: str, promotion: Promotion | None):
    """The form and, for a product promotion, its items' formset; saved if both validate."""
    form = PromotionForm(request.POST or None, instance=promotion, kind=kind)
    items = None
    if kind == Promotion.Kind.PRODUCT:
        items = PromotionItemFormSet(
            request.POST or None, initial=_initial_items(promotion), prefix="items"
        )
    valid = request.method == "POST" and form.is_valid()
    if items is not None:
        valid = items.is_valid() and valid
    if not valid:
        context = {"form": form, "items": items, "promotion": promotion, "kind": kind}
        context["kind_label"] = Promotion.Kind(kind).label
        context["rules"] = COMBINATION_RULES
        return render(request, "settings/promotion_form.html", context)
    saved = promotion_save(
        promotion=form.save(commit=False),
        products=form.products,
        variants=form.variants,
        items=[ItemSpec(*row) for row in items.items] if items is not None else None,
    )
    messages.success(request, f"“{saved.name}” is saved: {discount_label(saved)}.")
    return redirect("promotions:list")


@never_cache
@require_GET
@permission_required(EDIT, raise_exception=True)
def sku_search(request):
    """An item code's target finder: the variants matching what was typed, each with buttons
    that add its SKU to the form's whole-products or single-variants list."""
    q = request.GET.get("sku_q", "")[:100]
    variants = sku_suggestions(q=q)
    return render(request, "settings/_sku_results.html", {"variants": variants, "q": q})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(CREATE, raise_exception=True)
def promotion_create(request, kind: str):
    if kind not in Promotion.Kind.values:
        raise Http404("No such kind of promotion.")
    return _promotion_form(request, kind, None)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(EDIT, raise_exception=True)
def promotion_edit(request, pk: int):
    promotion = _promotion_or_404(pk)
    return _promotion_form(request, promotion.kind, promotion)


@require_POST
@permission_required(EDIT, raise_exception=True)
def promotion_deactivate_view(request, pk: int):
    promotion = promotion_deactivate(promotion_id=_promotion_or_404(pk).pk)
    messages.success(request, f"“{promotion.name}” is switched off: it is refused from now on.")
    return redirect("promotions:list")


@never_cache
@require_GET
@permission_required([VIEW, "promotions.view_codeuse"], raise_exception=True)
def promotion_uses(request, pk: int):
    promotion = _promotion_or_404(pk)
    page = code_use_list(promotion_id=promotion.pk, filters=request.GET)
    context = {
        "promotion": promotion,
        "page": page,
        "table": CodeUseTable(page.rows),
        "discount": discount_label(promotion),
    }
    return render(request, "settings/promotion_uses.html", context)


@never_cache
@require_GET
@permission_required(TAXES, raise_exception=True)
def tax_rate_list_view(request):
    can_edit = request.user.has_perms(TAXES_EDIT)
    context = {
        "table": TaxRateTable(tax_rate_list(), can_edit=can_edit),
        "settings_form": TaxSettingsForm(initial={"tax_shipping": tax_shipping()}),
    }
    return render(request, "settings/tax_rate_list.html", context)


@require_POST
@permission_required(
    ["promotions.view_taxsettings", "promotions.change_taxsettings"], raise_exception=True
)
def tax_settings(request):
    form = TaxSettingsForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    saved = tax_settings_update(tax_shipping=form.cleaned_data["tax_shipping"])
    messages.success(
        request, "Shipping is taxed." if saved.tax_shipping else "Shipping is not taxed."
    )
    return redirect("promotions:tax_rate_list")


def _tax_rate_page(request, form: TaxRateForm, tax_rate: TaxRate | None):
    if request.method == "POST" and form.is_valid():
        saved = tax_rate_save(tax_rate=form.save(commit=False))
        messages.success(request, f"“{saved}” is saved.")
        return redirect("promotions:tax_rate_list")
    return render(request, "settings/tax_rate_form.html", {"form": form, "tax_rate": tax_rate})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(TAXES_EDIT, raise_exception=True)
def tax_rate_create(request):
    return _tax_rate_page(request, TaxRateForm(request.POST or None), None)


def _tax_rate_or_404(pk: int) -> TaxRate:
    tax_rate = TaxRate.objects.filter(pk=pk).first()
    if tax_rate is None:
        raise Http404("No such tax rate.")
    return tax_rate


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(TAXES_EDIT, raise_exception=True)
def tax_rate_edit(request, pk: int):
    tax_rate = _tax_rate_or_404(pk)
    return _tax_rate_page(request, TaxRateForm(request.POST or None, instance=tax_rate), tax_rate)


@require_POST
@permission_required([TAXES, "promotions.delete_taxrate"], raise_exception=True)
def tax_rate_delete_view(request, pk: int):
    tax_rate = _tax_rate_or_404(pk)
    tax_rate_delete(tax_rate_id=tax_rate.pk)
    messages.success(request, f"“{tax_rate}” is deleted; orders already placed keep their tax.")
    return redirect("promotions:tax_rate_list")
