from django import forms

from shipping.forms import split_numbers
from shipping.models import Carrier

from .selectors import Candidate

STOCK = ""  # the vendor select's "no PO: ships from stock"


class PoCreateForm(forms.Form):
    """Per line that may go on a PO, the vendor to order it from (the product's default
    preselected), or none: it ships from stock."""

    def __init__(self, *args, candidates: list[Candidate], **kwargs):
        kwargs.setdefault("auto_id", "po_%s")
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        for candidate in candidates:
            if not candidate.links:
                continue
            self.fields[f"vendor_{candidate.line.pk}"] = forms.TypedChoiceField(
                label=f"Vendor for {candidate.line.sku}",
                choices=[(STOCK, "No PO (ship from stock)")]
                + [
                    (link.vendor_id, f"{link.vendor.name} — {link.cost}")
                    for link in candidate.links
                ],
                coerce=int,
                empty_value=None,
                required=False,
                initial=candidate.default_vendor_id,
            )

    def rows(self):
        return [(c, self[f"vendor_{c.line.pk}"] if c.links else None) for c in self.candidates]

    def choices(self) -> dict[int, int]:
        return {
            c.line.pk: self.cleaned_data[f"vendor_{c.line.pk}"]
            for c in self.candidates
            if c.links and self.cleaned_data.get(f"vendor_{c.line.pk}")
        }


class PoShipForm(forms.Form):
    """A vendor's shipment of some of a PO's lines: courier, tracking numbers, units per line."""

    carrier = forms.ModelChoiceField(
        queryset=Carrier.objects.filter(is_active=True),
        label="Vendor's carrier",
        empty_label="Choose…",
        error_messages={"required": "Choose the carrier the vendor shipped with."},
    )
    tracking_numbers = forms.CharField(
        label="Tracking numbers",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, or separated by commas.",
        error_messages={"required": "Enter the tracking number the vendor gave you."},
    )
    override_reason = forms.CharField(
        label="Record anyway, because…",
        max_length=300,
        required=False,
        help_text="The number failed the carrier's check. Say why it is right after all.",
    )

    def __init__(self, *args, po, **kwargs):
        kwargs.setdefault("auto_id", f"po{po.pk}_%s")
        super().__init__(*args, **kwargs)
        self.po = po
        self.needs_reason = False
        self.owed = [pl for pl in po.line_list if pl.remaining > 0]
        for po_line in self.owed:
            self.fields[f"qty_{po_line.pk}"] = forms.IntegerField(
                label=f"{po_line.vendor_sku} shipped",
                min_value=0,
                max_value=po_line.remaining,
                initial=po_line.remaining,
                required=False,
            )

    def line_fields(self):
        return [(pl, self[f"qty_{pl.pk}"]) for pl in self.owed]

    def clean_tracking_numbers(self) -> list[str]:
        numbers = split_numbers(self.cleaned_data["tracking_numbers"])
        if not numbers:
            raise forms.ValidationError("Enter the tracking number the vendor gave you.")
        return numbers

    def quantities(self) -> dict[int, int]:
        return {pl.pk: self.cleaned_data.get(f"qty_{pl.pk}") or 0 for pl in self.owed}

    def reveal_reason(self, message: str) -> None:
        self.needs_reason = True
        self.add_error("tracking_numbers", message)
