import re

from django import forms
from django.utils import timezone

from core.forms import ShortModelChoiceField

from .models import Carrier, ShippingMethod, validate_tracking_url_template


def split_numbers(text: str) -> list[str]:
    """Tracking numbers typed one per line or separated by commas."""
    return [part.strip() for part in re.split(r"[\n,;]+", text) if part.strip()]


class CourierForm(forms.Form):
    """The courier of a shipment: one of the configured carriers, or another courier typed by
    name (seed 004), which shipping.services.carrier_for_name keeps for next time."""

    carrier = ShortModelChoiceField(
        queryset=Carrier.objects.filter(is_active=True),
        required=False,
        label="Carrier or courier",
        empty_label="Choose…",
    )
    carrier_name = forms.CharField(
        label="Or another courier’s name",
        max_length=Carrier._meta.get_field("name").max_length,
        required=False,
        help_text="Not in the list? Type its name: it is kept for next time.",
    )

    def __init__(self, *args, carrier_choices: list | None = None, **kwargs):
        """`carrier_choices` (from carrier_choices()): the list read once for a page that shows
        several of these forms (a vendor's shipment form per PO), instead of once per form."""
        super().__init__(*args, **kwargs)
        if carrier_choices is not None:
            self.fields["carrier"].choices = carrier_choices

    def clean(self):
        data = super().clean()
        chosen, typed = data.get("carrier"), " ".join(data.get("carrier_name", "").split())
        if chosen and typed:
            self.add_error(
                "carrier_name",
                "Choose a carrier from the list or type another courier’s name, not both.",
            )
        elif not chosen and not typed and "carrier" not in self.errors:
            self.add_error(
                "carrier",
                "Choose the carrier or courier that took the shipment, or type its name.",
            )
        data["carrier_name"] = typed
        return data

    def courier(self) -> dict:
        """The courier as shipment_create takes it: a carrier's id, or a typed name."""
        chosen = self.cleaned_data["carrier"]
        if chosen:
            return {"carrier_id": chosen.pk}
        return {"carrier_name": self.cleaned_data["carrier_name"]}


_CARRIERS_READ = "_shipping_carrier_choices"


def carrier_choices(request=None) -> list:
    """The carrier list of CourierForm, read with one query, to share between forms: once per
    request when given one (the order page's shipment form and every PO's vendor-shipment
    form). Iterated, not list()ed: list() asks the choices' len() first, a COUNT query."""
    if request is not None and hasattr(request, _CARRIERS_READ):
        return getattr(request, _CARRIERS_READ)
    choices = list(iter(CourierForm.base_fields["carrier"].choices))
    if request is not None:
        setattr(request, _CARRIERS_READ, choices)
    return choices


class TrackedShipmentForm(CourierForm):
    """A courier and its tracking numbers, with the "record anyway" reason a number that fails
    its carrier's check asks for: the order page's shipment, a row's Mark shipped and a
    vendor's shipment against a purchase order all take these the same way."""

    # Who gave the number, for the message when none is entered.
    number_from = "the courier"

    tracking_numbers = forms.CharField(
        label="Tracking numbers",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, or separated by commas.",
    )
    override_reason = forms.CharField(
        label="Record anyway, because…",
        max_length=300,
        required=False,
        help_text="The number failed the carrier's check. Say why it is right after all.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracking_numbers"].error_messages["required"] = self._missing_number()
        self.needs_reason = False

    def _missing_number(self) -> str:
        return f"Enter the tracking number {self.number_from} gave you."

    def clean_tracking_numbers(self) -> list[str]:
        numbers = split_numbers(self.cleaned_data["tracking_numbers"])
        if not numbers:
            raise forms.ValidationError(self._missing_number())
        return numbers

    def reveal_reason(self, message: str) -> None:
        """A number failed its check: show why, and the field to record it anyway."""
        self.needs_reason = True
        self.add_error("tracking_numbers", message)


class ShipmentForm(TrackedShipmentForm):
    """A shipment of an order: courier, tracking numbers, date and, per line, how many units."""

    shipped_on = forms.DateField(
        label="Date shipped", widget=forms.DateInput(attrs={"type": "date"})
    )
    method = ShortModelChoiceField(
        queryset=ShippingMethod.objects.filter(is_active=True),
        required=False,
        label="Shipping method",
        empty_label="—",
    )

    def __init__(self, *args, lines, **kwargs):
        kwargs.setdefault("auto_id", "ship_%s")
        kwargs.setdefault("initial", {"shipped_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.order_lines = [line for line in lines if line.is_shippable]
        for line in self.order_lines:
            remaining = line.quantity - line.quantity_fulfilled
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"{line.sku} {line.name}",
                min_value=0,
                max_value=remaining,
                initial=remaining,
                required=False,
            )

    def line_fields(self):
        return [
            (line, self[f"qty_{line.pk}"], line.quantity - line.quantity_fulfilled)
            for line in self.order_lines
            if line.quantity > line.quantity_fulfilled
        ]

    def quantities(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data.get(f"qty_{line.pk}") or 0
            for line in self.order_lines
            if line.quantity > line.quantity_fulfilled
        }


class TrackingNumberForm(forms.Form):
    number = forms.CharField(
        label="Tracking number",
        max_length=100,
        error_messages={"required": "Enter the corrected tracking number."},
    )
    override_reason = forms.CharField(
        label="Record anyway, because…", max_length=300, required=False
    )

    def __init__(self, *args, tracking_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"tn{tracking_id}_%s")
        super().__init__(*args, **kwargs)
        self.tracking_id = tracking_id
        self.needs_reason = False

    def reveal_reason(self, message: str) -> None:
        self.needs_reason = True
        self.add_error("number", message)


class TrackingLookupForm(forms.Form):
    """A customer's order number and email address, to find their tracking page."""

    number = forms.CharField(
        label="Order number",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def clean_number(self) -> int:
        value = self.cleaned_data["number"].strip().lstrip("#").strip()
        if not value.isdigit() or len(value) > 18:
            raise forms.ValidationError("Enter the order number, e.g. 1042.")
        return int(value)


class RowShipmentForm(TrackedShipmentForm):
    """Seed 004's Shipped from the order list: a courier and tracking numbers for everything the
    order has left to send (the order page's shipment form picks lines and quantities)."""

    tracking_numbers = forms.CharField(
        label="Tracking numbers", max_length=1000, help_text="Separate several with commas."
    )

    def __init__(self, *args, number: int, **kwargs):
        kwargs.setdefault("auto_id", f"ship{number}_%s")
        super().__init__(*args, **kwargs)
        self.needs_reason = bool(self.data.get("override_reason"))


class CarrierSettingsForm(forms.Form):
    """A carrier as store admins set it up in Settings → Carriers."""

    name = forms.CharField(label="Name", max_length=Carrier._meta.get_field("name").max_length)
    tracking_url_template = forms.CharField(
        label="Tracking link",
        max_length=Carrier._meta.get_field("tracking_url_template").max_length,
        required=False,
        validators=[validate_tracking_url_template],
        help_text=Carrier._meta.get_field("tracking_url_template").help_text,
        widget=forms.TextInput(attrs={"placeholder": "https://example.com/track?n={number}"}),
    )
    number_check = forms.ChoiceField(
        label="Tracking-number check",
        choices=Carrier._meta.get_field("number_check").choices,
        required=False,
        help_text=Carrier._meta.get_field("number_check").help_text,
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Only active carriers can be chosen for new shipments.",
    )

    def __init__(self, *args, carrier: Carrier | None = None, **kwargs):
        if carrier is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": carrier.name,
                    "tracking_url_template": carrier.tracking_url_template,
                    "number_check": carrier.number_check,
                    "is_active": carrier.is_active,
                },
            )
        super().__init__(*args, **kwargs)


class ShippingMethodForm(forms.ModelForm):
    """A shipping speed as store admins set it up in Settings → Shipping speeds."""

    class Meta:
        model = ShippingMethod
        fields = [
            "name",
            "speed",
            "days_min",
            "days_max",
            "price",
            "free_from_subtotal",
            "carrier",
            "position",
            "is_active",
        ]
        labels = {
            "speed": "Speed",
            "days_min": "Fewest days",
            "days_max": "Most days",
            "free_from_subtotal": "Free from a subtotal of",
            "is_active": "Active",
        }
        help_texts = {"is_active": "Only active speeds can be chosen for new orders."}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = ShippingMethod.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"There is already a shipping speed named “{name}”.")
        return name

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("days_min"), cleaned.get("days_max")
        if low is not None and high is not None and low > high:
            self.add_error("days_max", "The most days cannot be fewer than the fewest days.")
        return cleaned
