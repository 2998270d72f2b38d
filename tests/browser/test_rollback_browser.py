"""Seed 001's rollback in a real browser: staff pay an order by hand, roll it back and pay again.

A serial code that reached a buyer never reaches another: the rollback retires it (the order
shows it retired), and every payment hands out a fresh code in its own digital-goods email,
sent through the outbox (the test plays the worker) to a real SMTP server. The payment panel
shows the live payment's authorization code, the reversed payment's as history."""

from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller

from catalog.models import SerialCode
from notifications import tasks
from notifications.services import SENT, outbox_deliver
from orders.models import OrderStatus
from tests.factories import (
    OrderLineFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    order_with_lines,
)
from tests.notifications.conftest import Recorder, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def handed(monkeypatch):
    """Deliveries the pages hand to the broker, kept here: the test plays the worker."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    return queued


@pytest.fixture
def smtp(settings):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield recorder
    controller.stop()


def run_worker(handed: list[int]) -> None:
    while handed:
        assert outbox_deliver(message_id=handed.pop(0)) == SENT


def emailed_codes(smtp, codes) -> dict[str, set[str]]:
    """Which recipients each code reached, read from what the SMTP server accepted."""
    reached: dict[str, set[str]] = {}
    for email in smtp.messages:
        text = "".join(
            part.get_payload(decode=True).decode()
            for part in email.walk()
            if part.get_content_type() == "text/plain"
        )
        for code in codes:
            if code in text:
                reached.setdefault(code, set()).add(email["To"])
    return reached


def record_offline_payment(page, method: str, reference: str) -> None:
    page.locator("#order-payment summary", has_text="Record offline payment").click()
    page.get_by_label(method).check()
    page.fill("#offline_reference", reference)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Record payment and mark paid").click()
    page.locator("h1 .badge.status-pending").wait_for(state="detached")


def roll_back(page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#order-detail .status-form button:has-text('Roll back to pending')")
    page.locator("h1 .badge.status-pending").wait_for()


def licence_order(variant, email: str):
    order = order_with_lines(lines=0, customer_email=email)
    OrderLineFactory(order=order, variant=variant, quantity=1)
    return order


def test_a_rolled_back_code_never_reaches_a_second_buyer_and_each_payment_gets_a_fresh_one(
    page, login, live_server, handed, smtp
):
    UserFactory(role="staff", username="clerk")
    licence = VariantFactory(
        product=ProductFactory(is_shippable=False, name="Photo editor"),
        track_stock=False,
        price=Decimal("49.00"),
        hands_out_serial_codes=True,
    )
    codes = [f"PE-{i}000-LIC" for i in range(4)]
    SerialCode.objects.bulk_create(SerialCode(variant=licence, code=c) for c in codes)
    first = licence_order(licence, "ada@example.com")
    second = licence_order(licence, "grace@example.com")

    login("clerk", "pass-word-123", next_path=f"/orders/{first.number}/")
    record_offline_payment(page, "Check", "CHK-1001")
    run_worker(handed)
    assert codes[0] in page.locator("#order-detail .serial").inner_text()

    roll_back(page)
    assert page.locator("#order-detail code.serial").count() == 0

    page.goto(f"{live_server.url}/orders/{second.number}/")
    record_offline_payment(page, "Check", "CHK-2002")
    run_worker(handed)
    assert page.locator("#order-detail code.serial").inner_text() == codes[1]

    # The first order shows the code its buyer got as retired; paid again, a fresh code
    # goes out in a fresh digital-goods email.
    page.goto(f"{live_server.url}/orders/{first.number}/")
    retired = page.locator("#order-detail .serial-retired")
    assert codes[0] in retired.inner_text() and "Retired" in retired.inner_text()
    record_offline_payment(page, "Check", "CHK-1003")
    run_worker(handed)
    assert page.locator("#order-detail code.serial").inner_text() == codes[2]
    assert codes[0] in page.locator("#order-detail .serial-retired").inner_text()

    assert emailed_codes(smtp, codes) == {
        codes[0]: {"ada@example.com"},
        codes[1]: {"grace@example.com"},
        codes[2]: {"ada@example.com"},
    }
    assert [m["To"] for m in smtp.messages] == [
        "ada@example.com",
        "grace@example.com",
        "ada@example.com",
    ]
    first.refresh_from_db()
    assert first.status == OrderStatus.COMPLETE
    assert SerialCode.objects.get(code=codes[0]).status == SerialCode.Status.RETIRED


def test_after_a_rollback_and_a_check_the_panel_shows_the_live_payment_not_the_reversed_code(
    page, login, live_server, handed
):
    UserFactory(role="staff", username="clerk")
    order = order_with_lines(lines=1)

    login("clerk", "pass-word-123", next_path=f"/orders/{order.number}/")
    record_offline_payment(page, "Credit card, processed offline", "AUTH-7731")
    facts = page.locator("#order-payment .pay-facts")
    assert "AUTH-7731" in facts.inner_text()

    roll_back(page)
    record_offline_payment(page, "Check", "CHK-5150")

    panel = page.locator("#order-payment")
    assert "AUTH-7731" not in facts.inner_text()
    assert "CHK-5150" in facts.inner_text()
    history = panel.locator(".pay-history")
    assert "AUTH-7731" in history.inner_text() and "Reversed" in history.inner_text()
    assert "AUTH-7731" not in panel.locator(".pay-live").inner_text()
