from django import forms

from .models import ApiKey, OrderStatus
from .status import bulk_targets


class StatusChangeForm(forms.Form):
    to = forms.ChoiceField(
        choices=OrderStatus.choices,
        error_messages={
            "required": "Choose the new status.",
            "invalid_choice": "“%(value)s” is not an order status.",
        },
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OrderNumbersField(forms.Field):
    """The ticked orders' numbers (the list's `order` tick boxes), each once."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return list(dict.fromkeys(int(number) for number in value or []))
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(
                "The selection holds something that is not an order."
            ) from exc


# Why a bulk change does not offer a status: those moves need a record for each order.
NOT_IN_BULK = {
    OrderStatus.PAID: "an order becomes Paid through its payment: charge it, or record the "
    "payment on its page.",
    OrderStatus.SHIPPED: "an order becomes Shipped with its courier and tracking number: choose "
    "Mark shipped… on its row.",
}


class BulkStatusForm(forms.Form):
    """A status change for many orders: the ticked ones, or all that the list's filters match."""

    SELECTED = "selected"
    MATCHING = "matching"

    to = forms.ChoiceField(
        choices=OrderStatus.choices,
        error_messages={
            "required": "Choose the new status.",
            "invalid_choice": "“%(value)s” is not an order status.",
        },
    )
    order = OrderNumbersField(required=False)
    scope = forms.ChoiceField(choices=[(SELECTED, SELECTED), (MATCHING, MATCHING)], required=False)
    query = forms.CharField(required=False, max_length=2000)

    def clean_to(self) -> str:
        to = self.cleaned_data["to"]
        if to not in bulk_targets():
            reason = NOT_IN_BULK.get(to, "no order moves there.")
            raise forms.ValidationError(f"{OrderStatus(to).label} is not a bulk change: {reason}")
        return to

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or self.SELECTED

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == self.SELECTED and not cleaned.get("order"):
            raise forms.ValidationError(
                "Tick the orders to change, or choose all orders matching the filters."
            )
        return cleaned


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Add a note to the timeline…"}),
        error_messages={"required": "A note cannot be empty."},
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where the key is used, such as “Storefront” or “Register 1”.",
    )
    channel = forms.ChoiceField(
        choices=ApiKey._meta.get_field("channel").choices,
        help_text="Orders sent with this key are filed under this channel.",
    )
