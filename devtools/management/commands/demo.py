import json
import os
import secrets
import shlex

from django.conf import settings
from django.core.management.base import BaseCommand

from backoffice.roles import user_create_with_role
from catalog.models import Variant
from customers.models import CustomerSettings, Profile
from customers.services import anonymous_profile_set
from devtools.seeding import (
    entry_demo_ensure,
    promotions_ensure,
    seed,
    shipping_methods_ensure,
)
from orders.actors import Actor
from orders.models import ApiKey, Channel, Order
from orders.services import apikey_create
from payments import crypto
from payments.models import Gateway

DEFAULT_URL = "http://127.0.0.1:8000/"
DEFAULT_PASSWORD = "backoffice-demo"
USERS = [("staff", "staff", "Order staff"), ("admin", "admin", "Store admin")]
KEYS = [(Channel.ONLINE, "Demo storefront"), (Channel.IN_STORE, "Demo register")]


class Command(BaseCommand):
    help = (
        "Make the local demo ready (run by `make run` after migrate; safe to run again): "
        "demo data if there are no orders, the staff and admin logins, the anonymous profile, "
        "shipping methods, promotions and tax rates if there are none, and one API key per "
        "channel."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders", type=int, default=2_000, help="Orders to seed when there are none."
        )
        parser.add_argument("--url", default=DEFAULT_URL, help="Where the back office is served.")

    def handle(self, *args, orders, url, **options):
        self.url = url.rstrip("/") + "/"
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        if not Order.objects.exists() and orders > 0:
            self.stdout.write(f"Seeding {orders:,} demo orders…")
            seed(orders=orders, progress=True, stdout=self.stdout)
        for username, role, _ in USERS:
            user_create_with_role(
                username=username, password=password, role=role, email=f"{username}@example.com"
            )
        self._anonymous_profile()
        self._test_gateway()
        shipping_methods_ensure()
        promotions_ensure()
        entry_demo_ensure()  # after the logins and speeds: keyed in by the staff login
        created = [
            (channel, name, *apikey_create(name=name, channel=channel, actor=Actor.system("Demo")))
            for channel, name in KEYS
            if not ApiKey.objects.filter(name=name, channel=channel, revoked_at=None).exists()
        ]
        self._announce(password, created)

    def _anonymous_profile(self) -> Profile:
        current = CustomerSettings.load().anonymous_profile
        if current is not None:
            return current
        profile = (
            Profile.objects.filter(first_name="Anonymous", last_name="customer", email="")
            .order_by("id")
            .first()
        ) or Profile.objects.create(first_name="Anonymous", last_name="customer")
        anonymous_profile_set(profile=profile)
        return profile

    def _test_gateway(self) -> None:
        """An active built-in test gateway, so the Charge button works in the demo."""
        if Gateway.objects.exists():
            return
        Gateway.objects.create(
            kind=Gateway.Kind.TEST,
            name="Test gateway",
            mode=Gateway.Mode.TEST,
            is_active=True,
            credentials_encrypted=crypto.encrypt({"webhook_secret": secrets.token_urlsafe(32)}),
        )

    def _announce(self, password: str, created: list) -> None:
        out, bold = self.stdout.write, self.style.SUCCESS
        out("")
        out(bold(f"Backoffice is ready: {self.url}"))
        for username, _, label in USERS:
            out(f"  {label + ':':<13} {username} / {password}")
        if not created:
            out("  API keys: created on the first run (admins can make new ones).")
            return
        out("")
        out(bold("API keys (shown once only, copy them now):"))
        for channel, name, _key, raw in created:
            out(f"  {channel:<9} {name + ':':<17} {raw}")
        raw = created[0][3]
        out("")
        out("Push an order through the intake API:")
        out(f"  {self._curl(raw)}")
        out("")

    def _curl(self, raw_key: str) -> str:
        variant = (
            Variant.objects.filter(product__is_shippable=True, product__is_active=True)
            .order_by("id")
            .first()
        )
        sku, price = (variant.sku, f"{variant.price:.2f}") if variant else ("SKU-1", "10.00")
        address = {
            "name": "Ada Lovelace",
            "line1": "12 Analytical Row",
            "city": "Springfield",
            "postal_code": "62701",
            "country": "US",
        }
        body = {
            "currency": settings.STORE_CURRENCY,
            "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
            "billing_address": address,
            "shipping_address": address,
            "lines": [{"sku": sku, "quantity": 1, "unit_price": price}],
            "subtotal": price,
            "discount": "0.00",
            "shipping": "0.00",
            "tax": "0.00",
            "total": price,
        }
        return " ".join(
            [
                f"curl -i -X POST {self.url}api/v1/orders/",
                f"-H {shlex.quote(f'Authorization: Bearer {raw_key}')}",
                "-H 'Idempotency-Key: demo-order-1'",
                "-H 'Content-Type: application/json'",
                f"-d {shlex.quote(json.dumps(body))}",
            ]
        )
