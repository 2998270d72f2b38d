from django import forms

from .models import EmailSettings


class PreviewOrderForm(forms.Form):
    """The real order an email preview is rendered for; empty: the sample order."""

    order = forms.IntegerField(
        required=False,
        min_value=1,
        label="Order number",
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 100482"}),
    )


class EmailSenderForm(forms.ModelForm):
    class Meta:
        model = EmailSettings
        fields = ["sender_name", "sender_email", "reply_to"]
        labels = {"sender_name": "Sender name", "sender_email": "From address"}
