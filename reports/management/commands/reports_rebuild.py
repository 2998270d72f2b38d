"""Recompute the reports' daily totals from scratch (after a restore, an import that went
around the services, or to check them)."""

import time

from django.core.management.base import BaseCommand

from reports.totals import daily_totals_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the reports' daily totals from the orders, their status events and vendors' "
        "cost changes. Payments wait while it runs (about 2 minutes at a million orders)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        days, variant_days = daily_totals_rebuild()
        self.stdout.write(
            f"Rebuilt {days:,} day×channel rows and {variant_days:,} day×channel×variant rows "
            f"in {time.monotonic() - started:.1f} s.\n"
        )
