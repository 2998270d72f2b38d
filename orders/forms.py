from django import forms

from .models import ApiKey, OrderStatus


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
