from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from backoffice.roles import ORDER_STAFF, STORE_ADMIN
from catalog.models import Product, ProductVendor, Variant, Vendor
from customers.models import Address, Profile
from orders.models import ApiKey, Channel, Order, OrderLine, OrderStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        """UserFactory(role="staff") or UserFactory(role="admin")."""
        if not extracted:
            return
        name = {"staff": ORDER_STAFF, "admin": STORE_ADMIN}[extracted]
        user.is_staff = extracted == "admin"
        user.save()
        user.groups.add(Group.objects.get(name=name))


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    email = factory.LazyAttribute(lambda v: f"po@{v.name.lower().replace(' ', '')}.example")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    is_shippable = True


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("20.00")
    cost_price = Decimal("8.00")
    stock = 100


class ProductVendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVendor

    product = factory.SubFactory(ProductFactory)
    vendor = factory.SubFactory(VendorFactory)
    cost = Decimal("7.50")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+1 555 0100"


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    profile = factory.SubFactory(ProfileFactory)
    line1 = factory.Faker("street_address")
    city = factory.Faker("city")
    region = "CA"
    postal_code = "94107"
    country = "US"


def address_snapshot(**overrides) -> dict:
    data = {
        "name": "Ada Lovelace",
        "line1": "1 Market St",
        "line2": "",
        "city": "San Francisco",
        "region": "CA",
        "postal_code": "94105",
        "country": "US",
        "phone": "",
    }
    data.update(overrides)
    return data


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    channel = Channel.ONLINE
    status = OrderStatus.PENDING
    customer_email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    customer_name = factory.Faker("name")
    placed_at = factory.LazyFunction(timezone.now)
    currency = "USD"
    subtotal = Decimal("0.00")
    total = Decimal("0.00")
    billing_address = factory.LazyFunction(address_snapshot)
    shipping_address = factory.LazyFunction(address_snapshot)


class OrderLineFactory(factory.django.DjangoModelFactory):
    """A line of an order; keeps the order's totals true (subtotal += line total)."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    variant = factory.SubFactory(VariantFactory)
    placed_at = factory.SelfAttribute("order.placed_at")
    product = factory.LazyAttribute(lambda line: line.variant.product if line.variant else None)
    sku = factory.LazyAttribute(lambda line: line.variant.sku if line.variant else "CUSTOM")
    name = factory.LazyAttribute(lambda line: line.variant.product.name if line.variant else "Item")
    unit_price = factory.LazyAttribute(
        lambda line: line.variant.price if line.variant else Decimal("10.00")
    )
    unit_cost = factory.LazyAttribute(
        lambda line: line.variant.cost_price if line.variant else Decimal("0")
    )
    quantity = 1
    total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity - line.discount)
    discount = Decimal("0.00")
    is_shippable = factory.LazyAttribute(
        lambda line: line.variant.product.is_shippable if line.variant else True
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        line = super()._create(model_class, *args, **kwargs)
        order = line.order
        order.subtotal += line.total
        order.total += line.total
        order.save(update_fields=["subtotal", "total"])
        return line


def order_with_lines(*, lines: int = 1, **order_fields) -> Order:
    order = OrderFactory(**order_fields)
    for _ in range(lines):
        OrderLineFactory(order=order)
    return order


def api_key(channel: str = Channel.ONLINE, name: str = "Storefront") -> tuple[ApiKey, str]:
    raw, lookup, key_hash = ApiKey.generate()
    return ApiKey.objects.create(name=name, channel=channel, lookup=lookup, key_hash=key_hash), raw
