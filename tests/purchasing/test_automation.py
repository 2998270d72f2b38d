"""The drop-ship automation (seed 002's closing note): off by default; when on, an order paid
without staff gets its drop-ship lines' POs created and sent to their default vendors."""

import pytest

from orders.actors import Actor
from orders.models import OrderEvent, OrderLine, OrderStatus, RiskLevel
from orders.services import order_transition
from purchasing import tasks
from purchasing.models import PurchaseOrder, PurchasingSettings
from tests.factories import OrderLineFactory, UserFactory, VendorFactory, order_with_lines

from .conftest import email_vendor, supplied_line

pytestmark = pytest.mark.django_db
GATEWAY = Actor.system("Gateway")


@pytest.fixture
def handed(monkeypatch):
    """The worker's task, run here when handed over."""
    ran = []

    def run(order_id):
        ran.append(order_id)
        tasks.po_automate(order_id)

    monkeypatch.setattr(tasks.po_automate, "delay", run)
    return ran


@pytest.fixture
def automated():
    PurchasingSettings.objects.update_or_create(pk=1, defaults={"automate_drop_ship": True})


def pending_order(**fields):
    acme = email_vendor(name="Acme Supply")
    order = order_with_lines(lines=0, status=OrderStatus.PENDING, **fields)
    supplied_line(order, acme, quantity=2)
    OrderLineFactory(order=order)  # its product has no vendor
    supplied_line(order, VendorFactory(name="Silent Co"))  # a default vendor with no PO method
    return order


def pay(order, actor, capture):
    with capture(execute=True):
        order_transition(order_id=order.pk, to=OrderStatus.PAID, actor=actor, payment_recorded=True)


def test_an_order_paid_without_staff_gets_its_pos_sent_and_the_rest_left_for_staff(
    automated, handed, django_capture_on_commit_callbacks
):
    order = pending_order()
    pay(order, GATEWAY, django_capture_on_commit_callbacks)
    [po] = PurchaseOrder.objects.filter(order=order)
    assert (po.vendor.name, po.status) == ("Acme Supply", PurchaseOrder.Status.SENT)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    event = order.events.filter(
        kind=OrderEvent.Kind.PURCHASING, message__startswith="Drop-ship"
    ).get()
    bare, silent = OrderLine.objects.filter(order=order).order_by("pk")[1:]
    assert f"sent {po.label} to Acme Supply" in event.message
    assert f"{bare.sku} (its product has no default vendor)" in event.message
    assert f"{silent.sku} (Silent Co has no way to receive POs" in event.message


def test_the_automation_is_off_by_default(handed, django_capture_on_commit_callbacks):
    pay(pending_order(), GATEWAY, django_capture_on_commit_callbacks)
    assert handed == [] and not PurchaseOrder.objects.exists()


def test_an_order_staff_charged_is_left_to_them(
    automated, handed, django_capture_on_commit_callbacks
):
    pay(pending_order(), Actor.of(UserFactory(role="staff")), django_capture_on_commit_callbacks)
    assert handed == [] and not PurchaseOrder.objects.exists()


def test_a_high_risk_order_is_not_drop_shipped(
    automated, handed, django_capture_on_commit_callbacks
):
    pay(pending_order(risk_level=RiskLevel.HIGH), GATEWAY, django_capture_on_commit_callbacks)
    assert len(handed) == 1 and not PurchaseOrder.objects.exists()
