"""Settings → Promotions and Tax rates forms. Each rule a store admin can break names the
field; the services save only what validated."""

import re
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator

from .models import Promotion, TaxRate
from .selectors import promotion_target_skus, variants_by_sku

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$")
COMMON = ["name", "code", "starts_at", "ends_at", "is_active", "usage_limit", "per_customer_limit"]
KIND_FIELDS = {
    Promotion.Kind.ITEM_CODE: [*COMMON, "discount_type", "amount", "product_skus", "variant_skus"],
    Promotion.Kind.PRODUCT: COMMON,
    Promotion.Kind.ORDER_CODE: [*COMMON, "discount_type", "amount", "minimum_subtotal"],
    Promotion.Kind.FREE_SHIPPING: [*COMMON, "minimum_subtotal"],
}
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def split_skus(text: str) -> list[str]:
    return list(dict.fromkeys(s for s in re.split(r"[\s,]+", text or "") if s))


class PromotionForm(forms.ModelForm):
    """One promotion of `kind`; only the fields that kind uses are on the form."""

    product_skus = forms.CharField(
        label="Whole products",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Any SKU of each product, one per line: all its variants are discounted.",
    )
    variant_skus = forms.CharField(
        label="Single variants",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="SKUs, one per line: only these variants are discounted.",
    )
    usage_limit = forms.IntegerField(
        label="Uses in total",
        required=False,
        validators=[MinValueValidator(1)],
        help_text="Empty: no limit.",
    )
    per_customer_limit = forms.IntegerField(
        label="Uses per customer",
        required=False,
        validators=[MinValueValidator(1)],
        help_text="Empty: no limit.",
    )

    class Meta:
        model = Promotion
        fields = [
            "name",
            "code",
            "discount_type",
            "amount",
            "minimum_subtotal",
            "starts_at",
            "ends_at",
            "is_active",
            "usage_limit",
            "per_customer_limit",
        ]
        labels = {
            "amount": "Discount",
            "minimum_subtotal": "Minimum spend",
            "starts_at": "Starts",
            "ends_at": "Ends",
            "is_active": "Active",
        }
        help_texts = {
            "amount": "Percent (0-100), or an amount of money: per unit for item codes, "
            "off the subtotal for order codes.",
            "starts_at": "Empty: from now.",
            "ends_at": "Empty: no end.",
        }
        widgets = {"starts_at": WHEN, "ends_at": WHEN}

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kind = kind
        self.kind = kind
        for name in list(self.fields):
            if name not in KIND_FIELDS[kind]:
                del self.fields[name]
        if "discount_type" in self.fields:
            self.fields["discount_type"].choices = Promotion.DiscountType.choices
            self.fields["discount_type"].required = True
        if "code" in self.fields:
            self.fields["code"].required = kind != Promotion.Kind.PRODUCT
        if self.instance.pk and kind == Promotion.Kind.ITEM_CODE:
            product_skus, variant_skus = promotion_target_skus(promotion_id=self.instance.pk)
            self.initial["product_skus"] = "\n".join(product_skus)
            self.initial["variant_skus"] = "\n".join(variant_skus)
        self.products: list[int] = []
        self.variants: list[int] = []

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code:
            return code
        if not CODE.match(code):
            raise forms.ValidationError(
                "Use 3 to 40 letters, digits, hyphens or underscores, starting with a letter "
                "or digit."
            )
        taken = Promotion.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"Another promotion already uses the code “{code}”.")
        return code

    def _clean_amount(self, cleaned):
        amount, kind = cleaned.get("amount"), cleaned.get("discount_type")
        if amount is None:
            return
        if amount <= 0:
            self.add_error("amount", "Give a discount greater than 0.")
        elif kind == Promotion.DiscountType.PERCENT and amount > 100:
            self.add_error("amount", "A percent discount cannot be more than 100.")

    def _clean_targets(self, cleaned):
        product_skus = split_skus(cleaned.get("product_skus", ""))
        variant_skus = split_skus(cleaned.get("variant_skus", ""))
        found = variants_by_sku(skus=product_skus + variant_skus)
        for name, skus in (("product_skus", product_skus), ("variant_skus", variant_skus)):
            unknown = [s for s in skus if s not in found]
            if unknown:
                self.add_error(name, f"No variant has the SKU {', '.join(unknown)}.")
        if not product_skus and not variant_skus:
            self.add_error("product_skus", "Choose the products or variants the code discounts.")
        self.products = list(dict.fromkeys(found[s].product_id for s in product_skus if s in found))
        self.variants = [found[s].pk for s in variant_skus if s in found]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must be after the start.")
        if "amount" in self.fields:
            self._clean_amount(cleaned)
        if self.kind == Promotion.Kind.ITEM_CODE:
            self._clean_targets(cleaned)
        limit = cleaned.get("usage_limit")
        if limit is not None and self.instance.pk and limit < self.instance.uses:
            self.add_error("usage_limit", f"It has been used {self.instance.uses} times already.")
        return cleaned


class PromotionItemForm(forms.Form):
    """One line a product promotion adds. A row left blank is ignored."""

    sku = forms.CharField(label="SKU", max_length=64, required=False)
    quantity = forms.IntegerField(label="Quantity", min_value=1, required=False)
    unit_discount = forms.DecimalField(
        label="Discount per unit",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sku") and cleaned.get("quantity") is None:
            self.add_error("quantity", "Give a quantity of at least 1.")
        return cleaned


class BasePromotionItemFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data.get("sku")]
        skus = [r["sku"].strip() for r in rows]
        found = variants_by_sku(skus=skus)
        problems = [f"No variant has the SKU {s}." for s in skus if s not in found]
        problems += [f"{s} is listed twice." for s in dict.fromkeys(skus) if skus.count(s) > 1]
        for row in rows:
            variant = found.get(row["sku"].strip())
            discount = row.get("unit_discount") or Decimal("0")
            if variant is not None and discount > variant.price:
                problems.append(
                    f"{variant.sku}: the discount {discount} is more than its price {variant.price}."
                )
        if not rows:
            problems.append("Add at least one item: the SKU, a quantity and its discount.")
        if problems:
            raise forms.ValidationError(problems)
        self.items = [
            (found[r["sku"].strip()].pk, r["quantity"], r.get("unit_discount") or Decimal("0"))
            for r in rows
        ]


PromotionItemFormSet = forms.formset_factory(
    PromotionItemForm, formset=BasePromotionItemFormSet, extra=3, max_num=50, validate_max=True
)


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ["country", "region", "rate", "name"]
        labels = {"rate": "Rate (%)"}

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError("Use the country's two-letter ISO code, e.g. US or DE.")
        return country

    def clean(self):
        cleaned = super().clean()
        country, region = cleaned.get("country"), (cleaned.get("region") or "").strip()
        cleaned["region"] = region
        if country:
            taken = TaxRate.objects.filter(country=country, region__iexact=region).exclude(
                pk=self.instance.pk
            )
            if taken.exists():
                where = f"{country}, region {region}" if region else f"all of {country}"
                self.add_error("region", f"There is already a rate for {where}.")
        return cleaned


class TaxSettingsForm(forms.Form):
    tax_shipping = forms.BooleanField(
        label="Tax shipping",
        required=False,
        help_text="Charge each shipping address's tax rate on its shipping too.",
    )
