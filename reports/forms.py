"""The reports' filter form: a date range (core.filters.DateRangeForm), the grouping, the
comparison and the channel. A value that does not validate is named on the page and the
report falls back to its default for it."""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone

from core.filters import DateRangeForm
from orders.models import Channel

GROUPS = [("day", "By day"), ("week", "By week"), ("month", "By month")]
COMPARISONS = [
    ("previous", "The period before"),
    ("year", "The same dates a year earlier"),
    ("none", "No comparison"),
]
# A day's rows over ten years is still a few thousand rows; beyond that a range is a typo.
LONGEST_DAYS = 3660
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ReportRange:
    start: date
    end: date
    group: str = "day"
    compare: str = "previous"
    channel: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def compared(self) -> "ReportRange | None":
        """The range to compare with: as long, just before; or the same dates a year back."""
        if self.compare == "previous":
            return ReportRange(
                self.start - timedelta(days=self.days),
                self.start - timedelta(days=1),
                self.group,
                "none",
                self.channel,
            )
        if self.compare == "year":
            return ReportRange(
                _year_before(self.start), _year_before(self.end), self.group, "none", self.channel
            )
        return None


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29th
        return day.replace(year=day.year - 1, day=28)


class ReportForm(DateRangeForm):
    date_range = ("start", "end")

    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group = forms.ChoiceField(label="Group", choices=GROUPS, required=False)
    compare = forms.ChoiceField(label="Compare with", choices=COMPARISONS, required=False)
    channel = forms.ChoiceField(
        label="Channel", choices=[("", "All channels"), *Channel.choices], required=False
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and (end - start).days >= LONGEST_DAYS:
            self.add_error("start", "A report covers at most ten years: choose a later start.")
        return cleaned

    def report_range(self) -> ReportRange:
        """The range asked for, with the defaults (the last 30 days, by day, against the
        period before) for whatever is missing or did not validate."""
        self.is_valid()
        data = {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name not in self.errors
        }
        today = timezone.localdate()
        end = data.get("end") or (
            min(today, data["start"] + timedelta(days=DEFAULT_DAYS - 1))
            if data.get("start")
            else today
        )
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            start, end = end - timedelta(days=DEFAULT_DAYS - 1), end
        return ReportRange(
            start=start,
            end=end,
            group=data.get("group") or "day",
            compare=data.get("compare") or "previous",
            channel=data.get("channel") or "",
        )

    @property
    def problems(self) -> list[str]:
        """Each value that was left out, naming its field, fit to show."""
        if not self.is_bound or self.is_valid():
            return []
        return [
            f"{self.fields[name].label if name in self.fields else ''}: {error}".lstrip(": ")
            for name, errors in self.errors.items()
            for error in errors
        ]
