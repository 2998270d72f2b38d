from decimal import Decimal

from django import forms

from core.formatting import money_label

from . import crypto
from .gateways.stripe import api_base_allowed
from .models import Gateway, Payment
from .services import PaymentInfo

# What the reference of each offline method is, as the form asks for it.
REFERENCE_OF = {
    Payment.Method.CHECK: "the check number",
    Payment.Method.WIRE: "the wire transfer's reference",
    Payment.Method.OFFLINE_CARD: "the authorization code the card terminal gave",
}


class ManualPaymentForm(forms.Form):
    """An offline payment (check, wire transfer, card processed by hand) for the whole order."""

    method = forms.ChoiceField(
        choices=[(m.value, m.label) for m in Payment.MANUAL_METHODS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the customer paid."},
    )
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        error_messages={"required": "Enter the amount received."},
    )
    # Every offline method has one; clean() says which is missing. The browser is told it is
    # required too, so the page does not ask to confirm an incomplete payment (app.js).
    reference = forms.CharField(
        label="Authorization code / reference",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
        help_text="Offline card: the authorization code. Check: the check number. "
        "Wire transfer: the bank's reference.",
    )
    note = forms.CharField(
        label="Note (optional, kept in the timeline)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, total: Decimal, currency: str, **kwargs):
        kwargs.setdefault("auto_id", "offline_%s")
        super().__init__(*args, **kwargs)
        self.total, self.currency = total, currency
        self.fields["amount"].initial = total

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount != self.total:
            raise forms.ValidationError(
                f"An offline payment pays the whole order: enter its total, "
                f"{money_label(self.total, self.currency)}."
            )
        return amount

    def clean(self):
        data = super().clean()
        method, reference = data.get("method"), (data.get("reference") or "").strip()
        if method and not reference:
            self.add_error("reference", f"Enter {REFERENCE_OF[method]}.")
        data["reference"] = reference
        return data

    def payment_info(self) -> PaymentInfo:
        data = self.cleaned_data
        card = data["method"] == Payment.Method.OFFLINE_CARD
        return PaymentInfo(
            method=data["method"],
            amount=data["amount"],
            authorization_code=data["reference"] if card else "",
            reference="" if card else data["reference"],
        )


def _secret_input() -> forms.PasswordInput:
    # Never rendered back, not even after a failed submit; browsers must not autofill it.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class GatewayForm(forms.Form):
    """A gateway's settings. Its secrets are write-only: blank keeps the saved one."""

    kind = forms.ChoiceField(label="Type", choices=Gateway.Kind.choices)
    name = forms.CharField(max_length=100, help_text="Shown to staff, e.g. “Stripe (main)”.")
    mode = forms.ChoiceField(choices=Gateway.Mode.choices, widget=forms.RadioSelect)
    is_active = forms.BooleanField(
        label="Active: charge orders through this gateway",
        required=False,
        help_text="One gateway is active at a time: activating this one deactivates the other.",
    )
    test_webhook_secret = forms.CharField(
        label="Webhook secret",
        max_length=200,
        required=False,
        widget=_secret_input(),
        help_text="Signs the test gateway's notifications; any long random string.",
    )
    stripe_secret_key = forms.CharField(
        label="Secret key",
        max_length=300,
        required=False,
        widget=_secret_input(),
        help_text="From Stripe's dashboard, Developers → API keys: sk_test_… or sk_live_….",
    )
    stripe_webhook_secret = forms.CharField(
        label="Webhook signing secret",
        max_length=300,
        required=False,
        widget=_secret_input(),
        help_text="From the webhook endpoint you add in Stripe's dashboard: whsec_….",
    )
    stripe_api_base = forms.URLField(
        label="API base URL (optional)",
        required=False,
        assume_scheme="https",
        help_text="Leave blank for Stripe’s own API; only Stripe’s hosts are accepted.",
    )

    # form field → (gateway kind, credentials key, secret?)
    CREDENTIALS = {
        "test_webhook_secret": (Gateway.Kind.TEST, "webhook_secret", True),
        "stripe_secret_key": (Gateway.Kind.STRIPE, "secret_key", True),
        "stripe_webhook_secret": (Gateway.Kind.STRIPE, "webhook_secret", True),
        "stripe_api_base": (Gateway.Kind.STRIPE, "api_base", False),
    }

    def __init__(self, *args, gateway: Gateway | None = None, **kwargs):
        self.gateway = gateway
        initial = kwargs.setdefault("initial", {})
        self.saved: dict[str, str] = {}  # field → the saved secret, masked
        self.saved_api_base = ""
        self.unreadable = ""
        if gateway is None:
            initial.setdefault("mode", Gateway.Mode.TEST)
        else:
            initial.update(
                kind=gateway.kind, name=gateway.name, mode=gateway.mode, is_active=gateway.is_active
            )
            try:
                stored = gateway.credentials
            except ValueError as exc:
                stored, self.unreadable = {}, str(exc)
            self.saved_api_base = stored.get("api_base", "")
            for field, (kind, key, secret) in self.CREDENTIALS.items():
                if kind != gateway.kind:
                    continue
                if secret and stored.get(key):
                    self.saved[field] = crypto.masked(stored[key])
                elif not secret:
                    initial[field] = stored.get(key, "")
        super().__init__(*args, **kwargs)
        if gateway is not None:
            # A gateway's type is what its credentials are for: it never changes.
            self.fields["kind"].disabled = True
            for field, (kind, _, _) in self.CREDENTIALS.items():
                if kind != gateway.kind:
                    del self.fields[field]
        for field, masked_value in self.saved.items():
            self.fields[field].widget.attrs["placeholder"] = "Leave blank to keep"
            self.fields[field].saved = masked_value

    def credential_fields(self, kind: str) -> list:
        return [
            self[f] for f, (k, _, _) in self.CREDENTIALS.items() if k == kind and f in self.fields
        ]

    def test_fields(self) -> list:
        return self.credential_fields(Gateway.Kind.TEST)

    def stripe_fields(self) -> list:
        return self.credential_fields(Gateway.Kind.STRIPE)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        for field, (field_kind, _, secret) in self.CREDENTIALS.items():
            if field_kind != kind or field not in self.fields:
                continue
            value = (data.get(field) or "").strip()
            data[field] = value
            if secret and not value and field not in self.saved:
                self.add_error(field, f"Enter the {self.fields[field].label.lower()}.")
        secret_key = data.get("stripe_secret_key") or ""
        if kind == Gateway.Kind.STRIPE and secret_key and not secret_key.startswith(("sk_", "rk_")):
            self.add_error("stripe_secret_key", "A Stripe secret key starts with sk_ (or rk_).")
        if kind == Gateway.Kind.STRIPE:
            self._clean_api_base(data)
        webhook = data.get("stripe_webhook_secret") or ""
        if kind == Gateway.Kind.STRIPE and webhook and not webhook.startswith("whsec_"):
            self.add_error("stripe_webhook_secret", "Stripe's signing secrets start with whsec_.")
        return data

    def _clean_api_base(self, data: dict) -> None:
        """The secret key goes to the API base: only to Stripe's own hosts, and a new address
        needs the key entered again (an admin cannot send the saved one elsewhere)."""
        api_base = data.get("stripe_api_base") or ""
        if api_base and not api_base_allowed(api_base):
            self.add_error(
                "stripe_api_base",
                "The API base URL must be Stripe’s own (https://api.stripe.com) or left blank.",
            )
        elif api_base != self.saved_api_base and not data.get("stripe_secret_key"):
            self.add_error(
                "stripe_secret_key",
                "Enter the secret key again to change the API base URL: the key is sent there.",
            )

    def credentials(self) -> dict[str, str]:
        """The credentials entered for the gateway's kind; blank secrets mean "keep"."""
        kind = self.cleaned_data["kind"]
        return {
            key: self.cleaned_data.get(field, "")
            for field, (field_kind, key, _) in self.CREDENTIALS.items()
            if field_kind == kind
        }
