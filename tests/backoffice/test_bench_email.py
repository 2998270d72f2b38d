import pytest
from django.db import connection

from catalog.models import Product, Vendor
from devtools.benchmarking import Context, PurchaseOrderProbe, ShippedEmailProbe
from devtools.management.commands.bench import database_url
from notifications.models import OutboxMessage
from orders.models import Order
from purchasing.models import PurchaseOrder
from shipping.models import Shipment


def test_shipped_email_probe_without_a_database_for_the_worker_is_not_applicable():
    assert ShippedEmailProbe().run(Context()).status.startswith("n/a")


@pytest.mark.django_db(transaction=True)
def test_shipped_email_probe_times_commit_to_smtp_through_a_worker_and_cleans_up(tmp_path):
    db = connection.settings_dict
    orders_before = Order.objects.count()

    result = ShippedEmailProbe(warmup=2).run(
        Context(database_url=database_url(db, db["NAME"]), emails=20, work_dir=tmp_path)
    )

    print(result)
    assert result.status == "250", (tmp_path / "email-worker.log").read_text()
    assert 0 < result.median_ms <= result.p95_ms
    assert result.unit == "shipments/s" and result.throughput > 0
    assert Order.objects.count() == orders_before
    assert not OutboxMessage.objects.exists() and not Shipment.objects.exists()


def test_purchase_order_probe_without_a_database_for_the_worker_is_not_applicable():
    assert PurchaseOrderProbe().run(Context()).status.startswith("n/a")


@pytest.mark.django_db(transaction=True)
def test_purchase_order_probe_sends_pos_through_a_worker_and_cleans_up(tmp_path):
    db = connection.settings_dict
    orders_before = Order.objects.count()

    result = PurchaseOrderProbe().run(
        Context(database_url=database_url(db, db["NAME"]), purchase_orders=12, work_dir=tmp_path)
    )

    print(result)
    assert result.status.startswith("250, created "), (tmp_path / "po-worker.log").read_text()
    assert "missing" not in result.status
    assert 0 < result.median_ms <= result.p95_ms
    assert result.unit == "POs/s" and result.throughput > 0
    assert Order.objects.count() == orders_before
    assert not OutboxMessage.objects.exists() and not PurchaseOrder.objects.exists()
    assert not Vendor.objects.exists() and not Product.objects.exists()
