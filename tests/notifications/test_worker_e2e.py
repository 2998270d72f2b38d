"""End to end: a real `celery worker` process on a dedicated Redis database, the test's SMTP
server, and the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from backoffice.celery import app
from notifications import tasks
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.models import OrderStatus
from orders.services import order_transition
from shipping.models import Carrier, OrderTracking
from shipping.tracking import tracking_url
from tests.factories import order_with_lines

BROKER = os.environ.get("NOTIFICATIONS_E2E_BROKER", "redis://127.0.0.1:6379/9")
ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, *, deadline: float = 60.0, what: str):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def broker(monkeypatch):
    """The web side's hand-off, published to the dedicated broker database."""
    with app.connection_for_write(BROKER) as conn:
        conn.default_channel.client.flushdb()
        monkeypatch.setattr(
            tasks.deliver, "delay", lambda pk: tasks.deliver.apply_async((pk,), connection=conn)
        )
        yield conn


@pytest.fixture
def worker(smtp, broker):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "BACKOFFICE_TESTING": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": BROKER,
        "EMAIL_URL": f"smtp://{settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "backoffice",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.django_db(transaction=True)
def test_a_delivered_order_reaches_the_smtp_server_once_through_the_worker(smtp, worker):
    order = order_with_lines(status=OrderStatus.SHIPPED, customer_email="ada@example.com")
    order_transition(order_id=order.pk, to=OrderStatus.DELIVERED, actor=Actor.system())
    message = OutboxMessage.objects.get(order=order)

    wait_for(lambda: smtp.messages, what="the email at the SMTP server")
    wait_for(
        lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT,
        what="the sent-mark",
    )
    connection.close()
    assert worker.poll() is None
    (email,) = smtp.messages
    assert email["Message-ID"] == message.message_id
    assert email["To"] == "ada@example.com"


UPS = "1Z999AA10123456784"


@pytest.mark.django_db(transaction=True)
def test_a_shipment_recorded_in_the_back_office_emails_the_tracking_link_once(
    smtp, worker, staff_client
):
    """Staff post the order page's shipment form; the worker sends one Shipped email carrying
    the carrier's tracking link and the customer's tracking page."""
    order = order_with_lines(status=OrderStatus.PAID, customer_email="grace@example.com")
    form = {
        "carrier": Carrier.objects.get(code="ups").pk,
        "tracking_numbers": UPS,
        "shipped_on": "2026-11-20",
        **{f"qty_{line.pk}": line.quantity for line in order.lines.all()},
    }
    response = staff_client.post(reverse("shipping:shipment_record", args=[order.number]), form)
    assert response.status_code == 302
    message = OutboxMessage.objects.get(order=order, kind=OutboxMessage.Kind.SHIPPED)

    wait_for(
        lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT,
        what="the sent-mark",
    )
    connection.close()
    assert worker.poll() is None
    (email,) = smtp.messages
    assert email["Message-ID"] == message.message_id
    assert email["To"] == "grace@example.com"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in email.walk()
        if not part.is_multipart()
    }
    token = OrderTracking.objects.get(order=order, revoked_at__isnull=True).token
    for body in (parts["text/plain"], parts["text/html"]):
        assert f"https://www.ups.com/track?tracknum={UPS}" in body
        assert tracking_url(token) in body
