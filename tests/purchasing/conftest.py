from decimal import Decimal

import pytest

from catalog.models import Vendor
from orders.models import OrderStatus
from tests.factories import (
    OrderLineFactory,
    ProductVendorFactory,
    VariantFactory,
    VendorFactory,
    order_with_lines,
)
from tests.notifications.conftest import handed, smtp  # noqa: F401 (fixtures)


def email_vendor(**fields):
    fields.setdefault("po_method", Vendor.PoMethod.EMAIL)
    vendor = VendorFactory(**fields)
    if vendor.po_method == Vendor.PoMethod.EMAIL and not vendor.po_emails:
        vendor.po_emails = [vendor.email]
        vendor.save(update_fields=["po_emails"])
    return vendor


def supplied_line(order, vendor, *, quantity=1, cost="7.50", sku=None, default=True, **line):
    """An order line whose product `vendor` supplies (at `cost`, as `sku`)."""
    variant = VariantFactory()
    ProductVendorFactory(
        product=variant.product,
        vendor=vendor,
        cost=Decimal(cost),
        vendor_sku=sku or f"V-{variant.sku}",
        is_default=default,
    )
    return OrderLineFactory(order=order, variant=variant, quantity=quantity, **line)


@pytest.fixture
def drop_ship_order():
    """A paid order with two lines from vendor A and one from vendor B."""
    a, b = email_vendor(name="Acme Supply"), email_vendor(name="Bolt Wholesale")
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    lines = [
        supplied_line(order, a, quantity=2, cost="4.25"),
        supplied_line(order, a, quantity=1),
        supplied_line(order, b, quantity=3, cost="2.00"),
    ]
    return order, lines, a, b


def edi_vendor(**fields):
    defaults = {
        "name": "Edison Distribution",
        "po_method": Vendor.PoMethod.EDI,
        "edi_sender_qualifier": "ZZ",
        "edi_sender_id": "BACKOFFICE",
        "edi_receiver_qualifier": "01",
        "edi_receiver_id": "123456789",
        "edi_transport": Vendor.Transport.LOCAL,
        "edi_inbound_dir": "edison/inbound",
    }
    return VendorFactory(**{**defaults, **fields})
