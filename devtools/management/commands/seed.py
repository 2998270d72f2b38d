from django.core.management.base import BaseCommand, CommandError

from devtools.seeding import seed


class Command(BaseCommand):
    help = "Add demo orders at scale (and the catalog and customer profiles, if missing)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, required=True, help="How many orders to add.")
        parser.add_argument("--batch", type=int, default=50_000, help="Orders per COPY batch.")
        parser.add_argument(
            "--seed",
            dest="seed_value",
            type=int,
            default=42,
            help="Random seed (same seed, same data).",
        )
        parser.add_argument(
            "--profiles",
            type=int,
            help="Customer profiles to have (default: orders/2, 200–50,000).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, orders, batch, seed_value, profiles, no_progress, **options):
        if orders < 0 or batch < 1:
            raise CommandError("--orders must be 0 or more and --batch at least 1.")
        seed(
            orders=orders,
            batch=batch,
            random_seed=seed_value,
            profiles=profiles,
            progress=not no_progress,
            stdout=self.stdout,
        )
