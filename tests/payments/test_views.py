"""The order page's payment section: the Charge button and its outcomes, offline payments, the
payment update request email, the payments and attempts it lists, and its query count."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from notifications import tasks as notification_tasks
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from payments.emails import payment_update_request_queue
from payments.models import Gateway, Payment, PaymentAttempt
from payments.services import PaymentInfo, order_mark_paid
from tests.factories import OrderLineFactory, UserFactory, VariantFactory, order_with_lines
from tests.payments.factories import GatewayFactory

pytestmark = pytest.mark.django_db


def detail_url(order) -> str:
    return reverse("orders:detail", kwargs={"number": order.number})


def charge_url(order) -> str:
    return reverse("payments:charge", kwargs={"number": order.number})


def manual_url(order) -> str:
    return reverse("payments:manual_payment", kwargs={"number": order.number})


def update_request_url(order) -> str:
    return reverse("payments:payment_update_request", kwargs={"number": order.number})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def gateway(db):
    return GatewayFactory(kind=Gateway.Kind.TEST, name="Test gateway", is_active=True)


def pending(token: str = "tok_approve", **fields):
    return order_with_lines(lines=2, payment_token=token, **fields)  # 2 × $20.00


def viewer_only():
    """A user who may look at orders and do nothing else."""
    user = UserFactory()
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    return user


@pytest.fixture
def no_task_queue(monkeypatch):
    """Outbox deliveries as the broker would get them: recorded, not sent to Redis."""
    queued = []
    monkeypatch.setattr(notification_tasks.deliver, "delay", queued.append)
    return queued


# ---- The Charge button -------------------------------------------------------------------


def test_pending_order_with_a_card_offers_charge_with_its_total(staff_client, gateway):
    order = pending()
    html = staff_client.get(detail_url(order)).content.decode()
    assert "Charge $40.00</button>" in html
    assert f'hx-post="{charge_url(order)}"' in html
    assert "through Test gateway" in html


def test_no_charge_button_without_a_card_a_permission_or_once_paid(client, gateway):
    staff = UserFactory(role="staff")
    client.force_login(staff)
    assert "Charge $" not in client.get(detail_url(pending(token=""))).content.decode()
    assert "No card on file" in client.get(detail_url(pending(token=""))).content.decode()
    paid = pending(status=OrderStatus.PAID)
    assert "Charge $" not in client.get(detail_url(paid)).content.decode()

    viewer = viewer_only()
    client.force_login(viewer)
    response = client.get(detail_url(pending()))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Charge $" not in html
    assert "Record offline payment" not in html


def test_charge_approved_marks_the_order_paid_and_shows_the_authorization_code(
    staff_client, staff_user, gateway
):
    order = pending("tok_approve")
    response = staff_client.post(charge_url(order))
    assert response.status_code == 302
    assert response["Location"] == detail_url(order)

    order.refresh_from_db()
    attempt = PaymentAttempt.objects.get(order=order)
    assert order.status == OrderStatus.PAID
    assert attempt.outcome == PaymentAttempt.Outcome.APPROVED
    assert order.authorization_code == attempt.authorization_code != ""
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.amount, payment.gateway) == (
        Payment.Method.GATEWAY,
        Decimal("40.00"),
        gateway,
    )

    page = staff_client.get(detail_url(order))
    html = page.content.decode()
    assert (
        f"Approved: authorization code {attempt.authorization_code}. Order #{order.number} is paid."
        in messages_of(page)
    )
    assert 'class="badge badge-lg status-paid"' in html
    assert "Charge $" not in html
    # The payments list: method, amount, status, auth code, when, who.
    payments = html[html.index('class="pay-list"') :]
    for text in [
        "Card, charged through the gateway",
        "$40.00",
        "Captured",
        attempt.authorization_code,
        "Test gateway",
        staff_user.get_full_name() or staff_user.username,
    ]:
        assert text in payments, text


def test_charge_approved_with_a_failed_cvv_check_says_so_and_holds_the_order(staff_client, gateway):
    order = pending("tok_cvv_mismatch")
    page = staff_client.post(charge_url(order), follow=True)
    code = PaymentAttempt.objects.get(order=order).authorization_code
    assert (
        "Approved — but the card's CVV check failed; the order is held for review."
        f" Authorization code {code}. Order #{order.number} is paid."
    ) in messages_of(page)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(message__startswith="Held for review: the card's CVV").exists()


def test_charge_under_htmx_answers_the_order_partial_with_the_message(staff_client, gateway):
    order = pending("tok_approve")
    response = staff_client.post(charge_url(order), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="order-detail">')
    assert "<html" not in html
    assert 'class="badge badge-lg status-paid"' in html
    code = PaymentAttempt.objects.get(order=order).authorization_code
    assert 'hx-swap-oob="true"' in html
    assert f"Approved: authorization code {code}." in html


def test_charge_declined_keeps_the_order_pending_and_offers_the_update_email(staff_client, gateway):
    order = pending("tok_decline")
    response = staff_client.post(charge_url(order), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not Payment.objects.filter(order=order).exists()
    attempt = PaymentAttempt.objects.get(order=order)
    assert attempt.outcome == PaymentAttempt.Outcome.DECLINED

    (message,) = messages_of(response)
    assert "declined: The card was declined." in message
    assert f"Order #{order.number} stays Pending" in message
    html = response.content.decode()
    assert "Last charge declined" in html
    assert "Email the customer to update their payment method</button>" in html
    assert f'action="{update_request_url(order)}"' in html
    # The reason is in the timeline too, and the button still charges (a new card, later).
    assert order.events.filter(kind=OrderEvent.Kind.PAYMENT, message__contains="declined").exists()
    assert "Charge $40.00</button>" in html


def test_charge_that_times_out_leaves_the_order_unchanged_and_says_so(staff_client, gateway):
    order = pending("tok_timeout")
    response = staff_client.post(charge_url(order), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not Payment.objects.filter(order=order).exists()
    assert PaymentAttempt.objects.get(order=order).outcome == PaymentAttempt.Outcome.TIMEOUT
    (message,) = messages_of(response)
    assert "did not answer" in message
    assert f"Order #{order.number} is unchanged." in message
    assert "Email the customer" not in response.content.decode()


def test_charge_without_a_gateway_links_the_admin_to_the_setup(store_admin_client):
    order = pending("tok_approve")
    response = store_admin_client.post(charge_url(order), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not PaymentAttempt.objects.exists()
    html = response.content.decode()
    setup_link = (
        f'No payment gateway is configured. <a href="{reverse("payments:gateway_list")}">'
        "Set one up.</a>"
    )
    assert setup_link in html


def test_charge_without_a_gateway_tells_staff_to_ask_an_admin(staff_client):
    order = pending("tok_approve")
    response = staff_client.post(charge_url(order), follow=True)
    assert messages_of(response) == [
        "No payment gateway is configured: ask a store admin to set one up."
    ]
    assert reverse("payments:gateway_list") not in response.content.decode()


def test_inactive_gateways_do_not_count(staff_client):
    GatewayFactory(is_active=False)
    order = pending("tok_approve")
    response = staff_client.post(charge_url(order), follow=True)
    assert "No payment gateway is configured" in messages_of(response)[0]


def test_charging_a_paid_order_is_refused_and_changes_nothing(staff_client, gateway):
    order = pending("tok_approve", status=OrderStatus.PAID)
    response = staff_client.post(charge_url(order), follow=True)
    assert not PaymentAttempt.objects.exists()
    assert "was not charged" in messages_of(response)[0]
    assert "only pending orders can be charged" in messages_of(response)[0]


def test_charge_of_an_unknown_order_is_404(staff_client, gateway):
    assert staff_client.post("/orders/424242/charge/").status_code == 404


def test_high_risk_order_asks_before_charging(staff_client, gateway):
    order = pending(risk_level="high")
    html = staff_client.get(detail_url(order)).content.decode()
    assert "is rated high risk. Charge $40.00 anyway?" in html
    assert "High risk: review the fraud signals before charging." in html


def test_attempts_are_listed_with_outcome_reason_and_when(staff_client, gateway):
    order = pending("tok_decline")
    staff_client.post(charge_url(order))
    order.payment_token = "tok_timeout"
    order.save()
    staff_client.post(charge_url(order))
    html = staff_client.get(detail_url(order)).content.decode()
    attempts = html[html.index('class="attempts"') :]
    assert "Charge attempts (2)" in attempts
    assert "Declined" in attempts and "The card was declined." in attempts
    assert "Gateway timed out" in attempts and "did not answer" in attempts


# ---- Payment update request --------------------------------------------------------------


def test_payment_update_request_is_queued_after_commit_and_shown_in_the_timeline(
    staff_client, staff_user, gateway, no_task_queue, django_capture_on_commit_callbacks
):
    order = pending("tok_decline")
    staff_client.post(charge_url(order), follow=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(update_request_url(order), follow=True)
    assert len(callbacks) == 1
    message = OutboxMessage.objects.get(order=order, kind=OutboxMessage.Kind.PAYMENT_UPDATE_REQUEST)
    assert no_task_queue == [message.pk]
    assert mail.outbox == []  # never sent by the request
    assert messages_of(response) == [
        f"Payment update request queued: {order.customer_email} will get it shortly."
    ]
    event = order.events.get(
        kind=OrderEvent.Kind.EMAIL, message__startswith="Payment update request q"
    )
    assert event.message == f"Payment update request queued for {order.customer_email}."
    assert event.actor == staff_user
    assert "Payment update request queued" in response.content.decode()


def test_payment_update_request_for_a_paid_order_is_refused(staff_client, no_task_queue):
    order = pending(status=OrderStatus.PAID)
    response = staff_client.post(update_request_url(order), follow=True)
    assert "is not waiting for payment" in messages_of(response)[0]
    assert no_task_queue == []
    assert not order.events.exists()


def queued_request(order) -> OutboxMessage:
    payment_update_request_queue(order_id=order.pk, actor=Actor.system())
    return OutboxMessage.objects.get(order=order, kind=OutboxMessage.Kind.PAYMENT_UPDATE_REQUEST)


def test_the_worker_emails_the_customer_and_records_it(settings):
    settings.STORE_NAME = "Corner Shop"
    order = pending("tok_decline", customer_name="Ada Lovelace", customer_email="ada@example.com")
    assert outbox_deliver(message_id=queued_request(order).pk) == "sent"

    (email,) = mail.outbox
    assert email.to == ["ada@example.com"]
    assert email.subject == (
        f"Corner Shop: please update your payment method for order #{order.number}"
    )
    for body in (email.body, email.alternatives[0][0]):
        assert f"#{order.number}" in body
        assert "$40.00" in body
        assert "Corner Shop" in body
        assert "Ada Lovelace" in body
    assert email.alternatives[0][1] == "text/html"
    assert order.events.filter(
        kind=OrderEvent.Kind.EMAIL, message="Payment update request email sent to ada@example.com."
    ).exists()


def test_the_worker_does_not_email_once_the_order_is_paid():
    order = pending()
    message = queued_request(order)
    order_mark_paid(
        order_id=order.pk,
        payment=PaymentInfo(method=Payment.Method.CHECK, amount=order.total, reference="1001"),
        actor=Actor.system(),
    )
    assert outbox_deliver(message_id=message.pk) == "skipped"
    assert mail.outbox == []
    assert order.events.filter(
        kind=OrderEvent.Kind.EMAIL, message__contains="not sent: the order is Paid"
    ).exists()


# ---- Offline payments --------------------------------------------------------------------


def offline(method="check", amount="40.00", reference="1042", note=""):
    return {"method": method, "amount": amount, "reference": reference, "note": note}


def test_offline_payment_form_is_offered_on_a_pending_order_prefilled_with_the_total(
    staff_client,
):
    order = pending(token="")
    html = staff_client.get(detail_url(order)).content.decode()
    assert "Record offline payment" in html
    assert 'name="amount" id="offline_amount" value="40.00"' in html
    for label in ["Check", "Wire transfer", "Credit card, processed offline"]:
        assert label in html


def test_a_check_marks_the_order_paid_with_its_number(staff_client, staff_user):
    order = pending(token="")
    response = staff_client.post(manual_url(order), offline(note="Mailed in"), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.amount, payment.reference, payment.recorded_by) == (
        Payment.Method.CHECK,
        Decimal("40.00"),
        "1042",
        staff_user,
    )
    assert messages_of(response) == [f"Check payment recorded. Order #{order.number} is paid."]
    assert order.events.filter(kind=OrderEvent.Kind.STATUS, message="Mailed in").exists()
    html = response.content.decode()
    assert 'Ref <span class="mono">1042</span>' in html
    assert "Record offline payment" not in html


def test_an_offline_card_payment_records_its_authorization_code(staff_client):
    order = pending(token="")
    staff_client.post(manual_url(order), offline(method="offline_card", reference="AUTH-9"))
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    assert (payment.authorization_code, payment.reference) == ("AUTH-9", "")
    assert order.authorization_code == "AUTH-9"


def test_a_wire_transfer_records_its_reference(staff_client):
    order = pending(token="")
    staff_client.post(manual_url(order), offline(method="wire", reference="WT 2026-118"))
    assert Payment.objects.get(order=order).reference == "WT 2026-118"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            offline(amount="39.99"),
            "An offline payment pays the whole order: enter its total, $40.00.",
        ),
        (offline(amount="lots"), "Enter a number."),
        (offline(method="check", reference=" "), "Enter the check number."),
        (offline(method="wire", reference=""), "Enter the wire transfer&#x27;s reference."),
        (
            offline(method="offline_card", reference=""),
            "Enter the authorization code the card terminal gave.",
        ),
        (offline(method="bitcoin"), "Select a valid choice."),
        (offline(method=""), "Choose how the customer paid."),
    ],
)
def test_a_refused_offline_payment_shows_why_on_the_form_and_changes_nothing(
    staff_client, data, error
):
    order = pending(token="")
    response = staff_client.post(manual_url(order), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert "The offline payment was not recorded: see the form for why." in html
    assert '<details class="offline" open>' in html  # the form is open, with what was typed
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not Payment.objects.exists()
    assert not order.events.exists()


def test_a_refused_offline_payment_under_htmx_swaps_the_form_with_its_errors(staff_client):
    order = pending(token="")
    response = staff_client.post(
        manual_url(order), offline(amount="10.00", reference="77"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-detail">')
    assert "enter its total, $40.00" in html
    assert 'value="77"' in html  # what was typed is kept
    assert not Payment.objects.exists()


def test_an_offline_payment_for_an_order_already_paid_is_refused(staff_client):
    order = pending(token="")
    order_mark_paid(
        order_id=order.pk,
        payment=PaymentInfo(method=Payment.Method.WIRE, amount=order.total, reference="W1"),
        actor=Actor.system(),
    )
    response = staff_client.post(manual_url(order), offline(), follow=True)
    assert Payment.objects.filter(order=order).count() == 1
    assert messages_of(response) == [
        f"Nothing was recorded: Order #{order.number} is Paid: it is not waiting for payment."
    ]


def test_an_offline_payment_needs_its_permission(client):
    client.force_login(viewer_only())
    order = pending(token="")
    assert client.post(manual_url(order), offline()).status_code == 403
    assert not Payment.objects.exists()


# ---- Rollback after a charge -------------------------------------------------------------


def test_rolling_back_a_charged_order_says_what_was_restored_and_refunded(staff_client, gateway):
    order = pending("tok_approve")
    staff_client.post(charge_url(order))
    html = staff_client.get(detail_url(order)).content.decode()
    assert ">Roll back to pending</button>" in html
    assert f"Roll back order #{order.number} to Pending? Stock and units sold are restored" in html

    response = staff_client.post(
        reverse("orders:status_change", kwargs={"number": order.number}),
        {"to": "pending", "next": detail_url(order)},
        follow=True,
    )
    (message,) = messages_of(response)
    assert message.startswith(f"Order #{order.number} is now Pending.")
    assert "Stock and sales restored." in message
    assert "Refund requested from the gateway." in message
    assert Payment.objects.get(order=order).status == Payment.Status.REFUND_PENDING


def test_an_offline_payment_the_stock_cannot_cover_is_refused_and_leaves_nothing(staff_client):
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=VariantFactory(stock=0), quantity=2)
    response = staff_client.post(manual_url(order), offline())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not enough stock for" in html and "2 requested, 0 on hand." in html
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not order.stock_committed
    assert not Payment.objects.exists()
    assert not order.events.exists()
