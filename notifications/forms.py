from django import forms


class PreviewOrderForm(forms.Form):
    """The real order an email preview is rendered for; empty: the sample order."""

    order = forms.IntegerField(
        required=False,
        min_value=1,
        label="Order number",
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 100482"}),
    )
