from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from catalog.models import ProductVendor, SerialCode, Variant, Vendor
from customers.models import CustomerSettings, Profile
from devtools.seeding import POSTED_AFTER_DAYS, seed
from entry.models import Draft
from invoicing.models import Invoice
from orders.models import ApiKey, Channel, Order, OrderEvent, OrderLine, OrderStatus, RiskLevel
from orders.risk import level_for
from purchasing.models import PurchaseOrder
from purchasing.services import _status_of
from shipping import carriers
from shipping.forms import ShipmentForm
from shipping.models import Shipment, ShippingMethod

pytestmark = pytest.mark.django_db


def posted_before():
    return timezone.now() - timedelta(days=POSTED_AFTER_DAYS)


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """50 orders seeded once for the class, rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed(orders=50, progress=False, random_seed=7)
        transaction.set_rollback(True)


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


class TestSeed:
    def test_seed_creates_catalog_profiles_and_orders(self, seeded):
        assert seeded.orders == Order.objects.count() == 50
        assert seeded.lines == OrderLine.objects.count()
        assert 50 <= seeded.lines <= 250
        assert seeded.events == OrderEvent.objects.count()
        assert seeded.catalog_created
        assert Variant.objects.count() > 300
        assert Variant.objects.filter(product__is_shippable=False).exists()
        assert SerialCode.objects.filter(allocated_at__isnull=True).exists()
        assert (
            _scalar(
                "SELECT count(*) FROM (SELECT product_id FROM catalog_productvendor "
                "GROUP BY product_id HAVING count(*) FILTER (WHERE is_default) <> 1) p"
            )
            == 0
        )
        assert ProductVendor.objects.exists()
        anonymous = CustomerSettings.objects.get().anonymous_profile  # the seed's invoices need one
        assert Profile.objects.exclude(pk=anonymous.pk).count() == seeded.profiles_created == 200
        assert Profile.objects.exclude(member_ref=None).exists()
        assert not Profile.objects.exclude(pk=anonymous.pk).filter(addresses=None).exists()

    def test_seed_covers_every_status_and_channel(self, seeded):
        assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)
        assert set(Order.objects.values_list("channel", flat=True)) == set(Channel.values)

    def test_seeded_amounts_add_up_to_the_cent(self, seeded):
        assert (
            _scalar(
                "SELECT count(*) FROM orderS_orderline WHERE total <> unit_price * quantity - discount"
            )
            == 0
        )
        assert (
            _scalar(
                """
            SELECT count(*) FROM orders_order o
            JOIN (SELECT order_id, sum(total) AS lines, sum(tax) AS tax
                  FROM orders_orderline GROUP BY order_id) l ON l.order_id = o.id
            WHERE o.subtotal <> l.lines OR o.tax_total <> l.tax
               OR o.total <> o.subtotal - o.discount_total + o.shipping_total + o.tax_total
            """
            )
            == 0
        )
        assert not Order.objects.filter(lines=None).exists()

    def test_seeded_fulfilment_stock_and_timeline_follow_the_status(self, seeded):
        sent = [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETE]
        assert (
            not OrderLine.objects.filter(order__status__in=sent, is_shippable=True)
            .exclude(fulfilment_status=OrderLine.Fulfilment.FULFILLED)
            .exists()
        )
        assert (
            not OrderLine.objects.filter(is_shippable=False)
            .exclude(fulfilment_status=OrderLine.Fulfilment.NOT_REQUIRED)
            .exists()
        )
        assert not Order.objects.filter(
            status__in=[OrderStatus.PENDING, OrderStatus.CANCELLED], stock_committed=True
        ).exists()
        assert (
            not Order.objects.exclude(status__in=[OrderStatus.PENDING, OrderStatus.CANCELLED])
            .filter(stock_committed=False)
            .exists()
        )
        # The last status event of every order is its status; orders without one are pending.
        assert (
            _scalar(
                """
            SELECT count(*) FROM orders_order o
            LEFT JOIN LATERAL (SELECT to_status FROM orders_orderevent e
                               WHERE e.order_id = o.id AND e.kind = 'status'
                               ORDER BY created_at DESC, id DESC LIMIT 1) last ON true
            WHERE coalesce(last.to_status, 'pending') <> o.status
            """
            )
            == 0
        )
        assert OrderEvent.objects.filter(kind=OrderEvent.Kind.PLACED).count() == 50
        assert not OrderEvent.objects.filter(created_at__gt=timezone.now()).exists()

    def test_paid_orders_carry_their_payment_invoice_and_payment_record(self, seeded):
        paid = Order.objects.filter(paid_at__isnull=False)
        assert paid.exists() and Order.objects.filter(paid_at__isnull=True).exists()
        anonymous = CustomerSettings.objects.get().anonymous_profile
        for order in paid.prefetch_related("lines", "invoices", "payments"):
            (invoice,) = order.invoices.all()
            assert (invoice.kind, invoice.order_paid_at, invoice.total) == (
                "invoice", order.paid_at, order.total,
            )  # fmt: skip
            assert invoice.status == ("posted" if invoice.issued_at < posted_before() else "draft")
            assert sorted(invoice.lines.values_list("order_line_id", flat=True)) == sorted(
                line.pk for line in order.lines.all()
            )
            member = order.profile and (order.profile.is_member or order.channel == "back_office")
            assert invoice.profile_id == (order.profile_id if member else anonymous.pk)
            if order.total > 0:
                (payment,) = order.payments.all()
                assert (payment.status, payment.amount) == ("captured", order.total)
                (record,) = invoice.payment_records.all()
                assert (record.amount, record.received_at) == (order.total, order.paid_at)
        assert not Invoice.objects.exclude(order__in=paid).exists()
        # Invoice numbers follow the payment dates.
        numbers = list(Invoice.objects.order_by("issued_at", "order_id").values_list("number"))
        assert numbers == sorted(numbers)

    def test_sent_orders_carry_a_parcel_with_a_valid_tracking_number(self, seeded):
        # In process too: the demo's partly shipped PO sent part of one such order.
        sent = Order.objects.filter(
            status__in=["in_process", "shipped", "delivered", "complete"],
            lines__is_shippable=True,
            lines__quantity_fulfilled__gt=0,
        ).exclude(channel=Channel.IN_STORE)
        assert sent.exists()
        assert set(Shipment.objects.values_list("order_id", flat=True)) == set(
            sent.values_list("id", flat=True)
        )
        for shipment in Shipment.objects.select_related("carrier").prefetch_related(
            "lines__order_line", "tracking_numbers"
        ):
            assert {(sl.order_line_id, sl.quantity) for sl in shipment.lines.all()} == {
                (line.pk, line.quantity_fulfilled)
                for line in shipment.order.lines.filter(quantity_fulfilled__gt=0, is_shippable=True)
            }
            (number,) = shipment.tracking_numbers.all()
            assert carriers.validate(shipment.carrier.code, number.number).ok, number.number

    def test_seed_has_email_and_edi_vendors_and_pos_in_every_status(self, seeded):
        methods = Counter(Vendor.objects.values_list("po_method", flat=True))
        assert methods[Vendor.PoMethod.EMAIL] >= 10 and methods[Vendor.PoMethod.EDI] == 1
        edi = Vendor.objects.get(po_method=Vendor.PoMethod.EDI)
        assert edi.edi_transport == Vendor.Transport.LOCAL and edi.edi_inbound_dir
        assert set(PurchaseOrder.objects.values_list("status", flat=True)) >= {
            "draft",
            "sent",
            "partly_shipped",
            "shipped",
            "cancelled",
        }
        for po in PurchaseOrder.objects.prefetch_related("lines__order_line"):
            lines = list(po.lines.all())
            assert lines and all(pl.order_line.order_id == po.order_id for pl in lines)
            assert po.status == _status_of(po, lines)
        sent_edi = PurchaseOrder.objects.filter(vendor=edi, sent_at__isnull=False)
        numbers = sorted(sent_edi.values_list("edi_control_number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        edi.refresh_from_db()
        assert edi.edi_control_number == len(numbers)

    def test_seed_writes_each_pos_timeline(self, seeded):
        events = Counter(
            OrderEvent.objects.filter(message__contains="PO-").values_list("order_id", "message")
        )
        for po in PurchaseOrder.objects.select_related("vendor"):
            mine = [m for (order_id, m), _ in events.items() if order_id == po.order_id]
            assert any(m.startswith(f"{po.label} created for {po.vendor.name}: ") for m in mine)
            delivered = [m for m in mine if m.startswith(f"Purchase order {po.label} ")]
            assert (po.sent_at is not None) == any(" queued to " in m for m in delivered)
            assert (po.transmitted_at is not None) == any(
                " sent to " in m or " written to " in m for m in delivered
            )
            cancelled = f"{po.label} to {po.vendor.name} cancelled; its items may go on another PO."
            assert (po.cancelled_at is not None) == (cancelled in mine)

    def test_seed_advances_the_sequences(self, seeded):
        highest = Order.objects.aggregate(number=Max("number"), id=Max("id"))
        order = Order.objects.create(
            channel=Channel.ONLINE,
            customer_email="new@example.com",
            placed_at=timezone.now(),
            currency="USD",
            subtotal=Decimal("1.00"),
            total=Decimal("1.00"),
        )
        order.refresh_from_db()
        assert order.number > highest["number"]
        assert order.id > highest["id"]
        line = OrderLine.objects.create(
            order=order, sku="X", name="X", unit_price=1, quantity=1, total=1
        )
        assert line.pk

    def test_seed_adds_to_existing_data_without_a_second_catalog(self, seeded):
        variants = Variant.objects.count()
        again = seed(orders=10, progress=False, random_seed=8)
        assert not again.catalog_created and again.profiles_created == 0
        assert Variant.objects.count() == variants
        assert Order.objects.count() == 60
        assert Order.objects.values("number").distinct().count() == 60
        assert Order.objects.filter(placed_at__lt=timezone.now() - timedelta(days=740)).count() == 0


def test_demo_is_idempotent(db):
    out = StringIO()
    call_command("demo", orders=30, stdout=out)
    first = out.getvalue()
    call_command("demo", orders=30, stdout=out)

    # Order entry's demo (seed 003): two drafts and three orders keyed in by staff, once.
    entered = Order.objects.filter(channel="back_office", external_ref__startswith="draft:")
    assert entered.count() == 3
    assert Draft.objects.filter(owner__username="staff").count() == 2
    assert Order.objects.count() == 30 + 3
    users = get_user_model().objects.filter(username__in=["staff", "admin"])
    assert sorted(u.username for u in users) == ["admin", "staff"]
    assert users.get(username="admin").is_staff and not users.get(username="staff").is_staff
    assert users.get(username="staff").check_password("backoffice-demo")
    assert ApiKey.objects.count() == 2
    assert set(ApiKey.objects.values_list("channel", flat=True)) == {"online", "in_store"}
    anonymous = CustomerSettings.load().anonymous_profile
    assert str(anonymous) == "Anonymous customer"
    assert Profile.objects.filter(first_name="Anonymous", last_name="customer").count() == 1
    assert "http://127.0.0.1:8000/" in first and "curl" in first and "bo_" in first
    assert out.getvalue().count("bo_") == first.count("bo_")  # keys are shown once only


@pytest.fixture(scope="class")
def seeded_for_risk(django_db_setup, django_db_blocker):
    """Enough orders from few enough customers that they come back, some within a day."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed(orders=1_500, profiles=60, progress=False, random_seed=11)
        transaction.set_rollback(True)


def _address_key(address: dict) -> tuple:
    """Street, postal code and country, in any case and spacing."""
    return tuple(
        " ".join(str(address.get(f, "")).lower().split())
        for f in ("line1", "postal_code", "country")
    )


class TestSeededRisk:
    """Every fraud signal the seed writes is one the order's own data bears out."""

    def _orders(self):
        orders = list(
            Order.objects.order_by("placed_at", "id").values(
                "id", "channel", "status", "customer_email", "client_ip", "total",
                "placed_at", "billing_address", "shipping_address", "payment_token",
                "first_paid_at", "risk_level", "risk_signals",
            )
        )  # fmt: skip
        by_email: dict[str, list[dict]] = {}
        for order in orders:
            by_email.setdefault(order["customer_email"].upper(), []).append(order)
        return orders, by_email

    def test_every_signal_is_borne_out_by_the_orders_data(self, seeded_for_risk):
        orders, by_email = self._orders()
        day = timedelta(hours=24)
        seen = Counter()
        for order in orders:
            at = order["placed_at"]
            same_email = [o for o in by_email[order["customer_email"].upper()] if o is not order]
            earlier = [
                o["total"]
                for o in same_email
                if o["placed_at"] <= at and o["status"] != OrderStatus.CANCELLED
            ]
            email_day = sum(1 for o in same_email if at - day <= o["placed_at"] <= at)
            ip_day = sum(
                1
                for o in orders
                if o is not order
                and order["client_ip"]
                and o["client_ip"] == order["client_ip"]
                and at - day <= o["placed_at"] <= at
            )
            billing, shipping = order["billing_address"], order["shipping_address"]
            points = 0
            for signal in order["risk_signals"]:
                code = signal["code"]
                seen[code] += 1
                points += signal["points"]
                where = f"order {order['id']}: {signal}"
                if code == "address_mismatch":
                    assert billing and shipping, where
                    assert _address_key(billing) != _address_key(shipping), where
                    assert billing["country"].upper() == shipping["country"].upper(), where
                elif code == "address_country_mismatch":
                    assert billing["country"].upper() != shipping["country"].upper(), where
                elif code == "value_above_history":
                    assert earlier, where
                    assert order["total"] > 3 * sum(earlier) / len(earlier), where
                    assert f"of {len(earlier)} earlier orders" in signal["detail"], where
                elif code == "first_order_high_value":
                    assert not earlier and order["total"] >= 500, where
                elif code == "velocity_email":
                    assert email_day >= 3, where
                    assert signal["detail"].startswith(f"{email_day} other orders"), where
                elif code == "velocity_ip":
                    assert ip_day >= 4, where
                elif code == "avs_mismatch":
                    assert order["payment_token"] == "tok_avs_mismatch", where
                    assert order["first_paid_at"] is not None, where
                else:
                    pytest.fail(f"the seed writes a signal no check covers: {where}")
            expected = "" if order["channel"] == Channel.BACK_OFFICE else level_for(points)
            assert order["risk_level"] == expected, order

        assert seen["address_mismatch"] and seen["avs_mismatch"]
        assert seen["value_above_history"] or seen["first_order_high_value"]
        assert Order.objects.filter(risk_level=RiskLevel.HIGH).exists()

    def test_orders_shipped_elsewhere_than_billed_say_so(self, seeded_for_risk):
        orders, _ = self._orders()
        elsewhere = [
            o
            for o in orders
            if o["channel"] != Channel.BACK_OFFICE
            and o["billing_address"]
            and o["shipping_address"]
            and _address_key(o["billing_address"]) != _address_key(o["shipping_address"])
        ]
        assert elsewhere
        for order in elsewhere:
            assert {"address_mismatch", "address_country_mismatch"} & {
                s["code"] for s in order["risk_signals"]
            }, order


def test_demo_offers_shipping_methods_once(db):
    call_command("demo", orders=0, stdout=StringIO())
    call_command("demo", orders=0, stdout=StringIO())

    methods = list(ShippingMethod.objects.filter(is_active=True).order_by("position"))
    assert [m.name for m in methods] == ["Standard", "2-day", "Overnight"]
    standard = methods[0]
    assert (standard.price, standard.free_from_subtotal) == (Decimal("5.99"), Decimal("75.00"))
    assert all(m.days_min <= m.days_max for m in methods)
    # The shipment form offers them.
    assert {m.pk for m in ShipmentForm(lines=[]).fields["method"].queryset} == {
        m.pk for m in methods
    }
