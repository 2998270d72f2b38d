"""The base of every list's FilterSet: filters come from the URL, and a value that does not
validate is left out (the page says which and why) while the others still apply."""

import django_filters
from django import forms


class DateRangeForm(forms.Form):
    """A filter form with a (from, to) pair of dates, named by `date_range`, that must not be
    the wrong way round."""

    date_range: tuple[str, str] = ("", "")

    def clean(self):
        cleaned = super().clean()
        start_name, end_name = self.date_range
        start, end = cleaned.get(start_name), cleaned.get(end_name)
        if start and end and start > end:
            self.add_error(end_name, f"The end date {end:%b %-d, %Y} is before the start date.")
        return cleaned


class ListFilterSet(django_filters.FilterSet):
    @property
    def active(self) -> dict:
        """The filters that are set and valid; an invalid one is ignored, not an error page."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {name: value for name, value in self.form.cleaned_data.items() if value}

    @property
    def ignored(self) -> list[str]:
        """Why each filter in the URL that could not be used was left out, fit to show."""
        if not self.is_bound or self.form.is_valid():
            return []
        return [
            f"{self.form.fields[name].label or name.title()}: {error}"
            if name in self.form.fields
            else error
            for name, errors in self.form.errors.items()
            for error in errors
        ]
