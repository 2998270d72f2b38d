"""Days as the store sees them: midnight to midnight in the store's timezone (TIME_ZONE),
whatever the server's. Every date filter and range (lists, grid, invoices, exports) uses these."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def end_of_day(day: date) -> datetime:
    """The first instant after `day` (the start of the next)."""
    return start_of_day(day + timedelta(days=1))
