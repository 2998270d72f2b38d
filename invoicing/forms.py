from django import forms


class InvoiceMoveForm(forms.Form):
    profile = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": "Choose the profile to move the invoice to.",
            "invalid": "Choose the profile to move the invoice to.",
        },
    )


class BatchPostForm(forms.Form):
    up_to = forms.DateField(
        label="Post all drafts issued up to",
        error_messages={
            "required": "Choose the day to post drafts up to.",
            "invalid": "Enter a date as YYYY-MM-DD.",
        },
    )


class ExportForm(forms.Form):
    posted_from = forms.DateField(required=False, label="Posted from")
    posted_to = forms.DateField(required=False, label="to")

    def clean(self):
        data = super().clean()
        start, end = data.get("posted_from"), data.get("posted_to")
        if start and end and start > end:
            raise forms.ValidationError("The end date is before the start date.")
        return data
