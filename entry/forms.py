"""The forms of order entry's steps (declarative: the rules are entry.services')."""

from django import forms

from .models import Draft


class ContactFilterForm(forms.Form):
    q = forms.CharField(label="Name or email", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    domain = forms.CharField(label="Email domain", max_length=100, required=False)
    ordered_before = forms.BooleanField(label="Has ordered before", required=False)


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    company = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "contact_%s")
        super().__init__(*args, **kwargs)


class AddressForm(forms.Form):
    name = forms.CharField(label="Addressee", max_length=200, required=False)
    line1 = forms.CharField(
        label="Street and number", max_length=200, error_messages={"required": "Enter a street."}
    )
    line2 = forms.CharField(label="Apartment, suite", max_length=200, required=False)
    city = forms.CharField(max_length=100, error_messages={"required": "Enter a city."})
    region = forms.CharField(label="State / region", max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        label="Country (2 letters)",
        error_messages={"required": "Enter a country.", "invalid": "Use two letters, e.g. US."},
    )
    phone = forms.CharField(max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "address_%s")
        super().__init__(*args, **kwargs)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()


class LineForm(forms.Form):
    variant = forms.IntegerField(
        required=False, error_messages={"invalid": "Choose the item's variant."}
    )
    quantity = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        initial=1,
        error_messages={
            "required": "Enter a quantity.",
            "min_value": "Quantity must be at least 1.",
        },
    )


class CodeForm(forms.Form):
    code = forms.CharField(label="Promo code", max_length=64)


class PlaceForm(forms.Form):
    payment = forms.ChoiceField(
        label="Payment", choices=Draft.Payment.choices, widget=forms.RadioSelect
    )
    card_token = forms.CharField(
        label="Card token",
        max_length=200,
        required=False,
        help_text="The gateway's token of the customer's card.",
    )

    def clean(self):
        data = super().clean()
        if data.get("payment") == Draft.Payment.CHARGE and not data.get("card_token", "").strip():
            self.add_error("card_token", "Enter the card's token to charge it.")
        return data
