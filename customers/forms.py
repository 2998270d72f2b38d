from django import forms

from .models import Profile


class AnonymousProfileForm(forms.Form):
    """The profile that receives the invoices and payments of buyers who were not logged in."""

    profile = forms.ModelChoiceField(
        queryset=Profile.objects.all(),
        error_messages={
            "required": "Choose a profile.",
            "invalid_choice": "That profile no longer exists: search again.",
        },
    )

    def clean_profile(self) -> Profile:
        profile = self.cleaned_data["profile"]
        if profile.is_member:
            raise forms.ValidationError(
                f"“{profile}” is a storefront member's own profile: anonymous buyers' invoices "
                "would land on their account. Choose a profile kept for anonymous buyers."
            )
        return profile


class ProfileSearchForm(forms.Form):
    q = forms.CharField(label="Find a profile", max_length=200, required=False)
