"""Workflow 5 in a real browser: staff charge a pending order with the *Charge $X.XX* button
and see it paid with its authorization code without a page reload; a declined charge offers
the payment update email; the admin's gateway settings page."""

import pytest

from notifications import tasks
from notifications.models import OutboxMessage
from orders.models import OrderStatus
from payments.models import Gateway, PaymentAttempt
from tests.factories import UserFactory, order_with_lines
from tests.payments.factories import GatewayFactory

SCREENSHOTS = "/tmp"


@pytest.fixture
def queued(monkeypatch):
    """Tasks the pages queue, kept here rather than sent to the shared broker."""
    sent = []
    monkeypatch.setattr(tasks.deliver, "delay", sent.append)
    return sent


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_charge_a_pending_order_and_see_it_paid_in_place(page, login, live_server, queued):
    UserFactory(role="staff", username="clerk", first_name="Chris")
    GatewayFactory(kind=Gateway.Kind.TEST, name="Test gateway", is_active=True)
    order = order_with_lines(
        lines=2, payment_token="tok_approve", customer_name="Ada Lovelace", risk_level="low"
    )
    url = f"/orders/{order.number}/"

    login("clerk", "pass-word-123", next_path=url)
    charge = page.get_by_role("button", name="Charge $40.00")
    assert charge.is_visible()
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/order_pending.png", full_page=True)

    page.evaluate("window.__sameDocument = true")
    charge.click()
    page.locator("h1 .badge.status-paid").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    code = PaymentAttempt.objects.get(order=order).authorization_code
    assert code
    assert f"Approved: authorization code {code}." in page.locator("#messages").inner_text()
    assert code in page.locator("#order-payment").inner_text()
    assert page.get_by_role("button", name="Charge $40.00").count() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    page.wait_for_timeout(200)
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/order_paid.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_approved_charge_with_a_failed_cvv_check_says_so(page, login, live_server, queued):
    UserFactory(role="staff", username="clerk")
    GatewayFactory(kind=Gateway.Kind.TEST, name="Test gateway", is_active=True)
    order = order_with_lines(lines=1, payment_token="tok_cvv_mismatch", risk_level="low")

    login("clerk", "pass-word-123", next_path=f"/orders/{order.number}/")
    page.get_by_role("button", name="Charge $20.00").click()
    page.locator("h1 .badge.status-paid").wait_for()

    message = page.locator("#messages .message-warning")
    assert message.inner_text().startswith(
        "Approved — but the card's CVV check failed; the order is held for review."
    )
    page.locator("#order-timeline").get_by_text(
        "Held for review: the card's CVV check failed on an approved charge of $20.00."
    ).wait_for()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_declined_charge_offers_the_payment_update_email(page, login, live_server, queued):
    UserFactory(role="staff", username="clerk")
    GatewayFactory(kind=Gateway.Kind.TEST, name="Test gateway", is_active=True)
    order = order_with_lines(lines=1, payment_token="tok_decline")

    login("clerk", "pass-word-123", next_path=f"/orders/{order.number}/")
    page.get_by_role("button", name="Charge $20.00").click()
    page.locator(".declined-box").wait_for()
    assert "declined" in page.locator("#messages").inner_text()
    assert "Pending" in page.locator("h1 .badge").inner_text()
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/order_declined.png", full_page=True)

    page.get_by_role("button", name="Email the customer to update their payment method").click()
    page.locator("#messages", has_text="Payment update request queued").wait_for()
    assert queued == [OutboxMessage.objects.get(order=order).pk]
    assert "Payment update request queued for" in page.locator("#order-timeline").inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_adds_a_gateway_and_sees_its_notification_url(page, login, live_server):
    UserFactory(role="admin", username="owner")
    login("owner", "pass-word-123", next_path="/settings/gateways/")
    page.get_by_role("link", name="Add a gateway").click()
    # Only the chosen type's credentials show.
    assert page.locator("fieldset[data-kind=test]").is_visible()
    assert not page.locator("fieldset[data-kind=stripe]").is_visible()
    page.select_option("select[name=kind]", "stripe")
    assert page.locator("fieldset[data-kind=stripe]").is_visible()
    assert not page.locator("fieldset[data-kind=test]").is_visible()
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/gateway_new.png", full_page=True)

    page.fill("input[name=name]", "Stripe (main)")
    page.fill("input[name=stripe_secret_key]", "sk_test_51Hx9QkLmNoPqRsTuVwXyZ0987")
    page.fill("input[name=stripe_webhook_secret]", "whsec_a1B2c3D4e5F6g7H8i9J0kLmN")
    page.check("input[name=is_active]")
    page.click("button:has-text('Add gateway')")
    page.locator("#notification-url").wait_for()
    gateway = Gateway.objects.get()
    assert gateway.is_active
    expected = f"{live_server.url}/payments/notify/{gateway.pk}/"
    assert page.input_value("#notification-url") == expected
    html = page.content()
    assert "sk_test_51Hx9QkLmNoPqRsTuVwXyZ0987" not in html
    assert "••••••••0987" in html
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/gateway_edit.png", full_page=True)

    page.get_by_role("link", name="← Payment gateways").click()
    page.locator("table.gateways-grid").wait_for()
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/gateway_list.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_offline_payment_asks_to_confirm_only_once_complete(page, login, live_server, queued):
    UserFactory(role="staff", username="clerk")
    order = order_with_lines(lines=2, payment_token="")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    login("clerk", "pass-word-123", next_path=f"/orders/{order.number}/")
    page.get_by_text("Record offline payment").click()
    record = page.get_by_role("button", name="Record payment and mark paid")

    record.click()  # no method chosen: the page says so, and asks nothing
    page.get_by_text("Choose how the customer paid.").wait_for()
    assert asked == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING

    page.get_by_label("Check").check()
    record.click()  # no check number yet
    page.get_by_text("Enter the check number.").wait_for()
    assert asked == []

    page.get_by_label("Authorization code / reference").fill("CHK-1001")
    record.click()
    page.locator("h1 .badge.status-paid").wait_for()
    assert len(asked) == 1 and "Record this offline payment?" in asked[0]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
