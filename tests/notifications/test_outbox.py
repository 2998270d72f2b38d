import smtplib
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notifications import services, tasks
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver, outbox_enqueue, outbox_retry, outbox_sweep
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from tests.factories import UserFactory, order_with_lines

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()
Status = OutboxMessage.Status


def delivered_message(**order_fields) -> OutboxMessage:
    order = order_with_lines(lines=2, status=OrderStatus.DELIVERED, **order_fields)
    return outbox_enqueue(
        order=order, kind=OutboxMessage.Kind.DELIVERED, subject_key="order", actor=SYSTEM
    )


def test_enqueuing_twice_writes_one_row_and_one_timeline_entry():
    message = delivered_message(customer_email="ada@example.com")
    again = outbox_enqueue(
        order=message.order, kind=OutboxMessage.Kind.DELIVERED, subject_key="order", actor=SYSTEM
    )
    assert again is None
    assert OutboxMessage.objects.count() == 1
    assert message.message_id.startswith("<") and message.message_id.endswith(">")
    (event,) = message.order.events.filter(kind=OrderEvent.Kind.EMAIL)
    assert event.message == "Delivered email queued to ada@example.com."


def test_the_worker_gets_the_message_only_after_commit(handed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = delivered_message()
        assert handed == []
    assert handed == [message.pk]


def test_a_broker_outage_at_hand_off_is_logged_not_raised(monkeypatch, caplog):
    def broker_down(pk):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.deliver, "delay", broker_down)
    services.outbox_hand_to_worker(42)
    assert "not handed to the worker" in caplog.text


def test_delivery_sends_one_email_with_the_fixed_message_id(smtp, settings):
    settings.STORE_NAME = "Corner Shop"
    message = delivered_message(customer_email="ada@example.com", customer_name="Ada Lovelace")

    assert outbox_deliver(message_id=message.pk) == services.SENT
    assert outbox_deliver(message_id=message.pk) == services.NOT_CLAIMED

    (email,) = smtp.messages
    assert email["Message-ID"] == message.message_id
    assert email["To"] == "ada@example.com"
    assert email["Subject"] == f"Corner Shop: order #{message.order.number} was delivered"
    assert email["From"] == settings.DEFAULT_FROM_EMAIL
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in email.walk()
        if not part.is_multipart()
    }
    for body in (parts["text/plain"], parts["text/html"]):
        assert "Corner Shop" in body and "Ada Lovelace" in body
    message.refresh_from_db()
    assert message.status == Status.SENT and message.sent_at is not None
    assert message.order.events.filter(message="Delivered email sent to ada@example.com.").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_message_send_it_once(smtp):
    message = delivered_message()
    outcomes = []
    start = threading.Barrier(4)

    def deliver():
        try:
            start.wait()
            outcomes.append(outbox_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [services.NOT_CLAIMED] * 3 + [services.SENT]
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Message-ID"] == message.message_id


def test_a_4xx_answer_is_retried_later_with_the_same_message_id(smtp):
    smtp.refuse = 1
    message = delivered_message()

    assert outbox_deliver(message_id=message.pk) == services.RETRY
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "451" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert smtp.messages == []
    # Not due yet: a second delivery leaves it alone.
    assert outbox_deliver(message_id=message.pk) == services.NOT_CLAIMED

    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(message_id=message.pk) == services.SENT
    (email,) = smtp.messages
    assert email["Message-ID"] == message.message_id
    assert smtp.calls == 2


def test_backoff_doubles_and_is_capped(settings):
    settings.NOTIFICATIONS_RETRY_BASE = 30
    settings.NOTIFICATIONS_RETRY_MAX = 3600
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_the_task_comes_back_when_the_next_attempt_is_due(smtp, monkeypatch):
    smtp.refuse = 1
    message = delivered_message()
    retried = {}

    def fake_retry(countdown):
        retried["countdown"] = countdown
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.deliver, "retry", fake_retry)
    with pytest.raises(RuntimeError):
        tasks.deliver.run(message.pk)
    assert 0 < retried["countdown"] <= 30


def test_after_the_retry_period_it_fails_shows_to_staff_and_retry_sends_it(
    smtp, settings, client, handed
):
    settings.NOTIFICATIONS_RETRY_PERIOD = 3600
    smtp.refuse = 2
    message = delivered_message()
    assert outbox_deliver(message_id=message.pk) == services.RETRY
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now(), retry_until=timezone.now()
    )
    assert outbox_deliver(message_id=message.pk) == services.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 2)
    assert message.order.events.filter(message__contains="failed after 2 attempts").exists()

    client.force_login(UserFactory(role="staff"))
    page = client.get(message.order.get_absolute_url()).content.decode()
    assert "Emails" in page and "Failed" in page and "Retry" in page
    failed = client.get(reverse("notifications:failed")).content.decode()
    assert f"#{message.order.number}" in failed

    response = client.post(reverse("notifications:retry", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts, message.retry_until) == (Status.PENDING, 0, None)
    assert outbox_deliver(message_id=message.pk) == services.SENT
    (email,) = smtp.messages
    assert email["Message-ID"] == message.message_id


def test_only_failed_messages_can_be_retried():
    message = delivered_message()
    with pytest.raises(services.NotificationError):
        outbox_retry(message_id=message.pk, actor=SYSTEM)


def test_the_retry_button_needs_the_permission(client):
    message = delivered_message()
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.FAILED)
    user = UserFactory()
    user.save()
    client.force_login(user)
    assert client.post(reverse("notifications:retry", args=[message.pk])).status_code == 403


def test_the_sweep_rehands_waiting_rows_and_stale_claims_only(handed, settings):
    settings.NOTIFICATIONS_SWEEP_GRACE = 60
    settings.NOTIFICATIONS_SENDING_LEASE = 300
    now = timezone.now()
    _fresh, waiting, stale, busy, sent = (delivered_message() for _ in range(5))
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        next_attempt_at=now - timedelta(minutes=15), handed_at=now - timedelta(minutes=15)
    )
    OutboxMessage.objects.filter(pk=stale.pk).update(
        status=Status.SENDING,
        claimed_at=now - timedelta(minutes=15),
        handed_at=now - timedelta(minutes=15),
    )
    OutboxMessage.objects.filter(pk=busy.pk).update(
        status=Status.SENDING, claimed_at=now - timedelta(seconds=10)
    )
    OutboxMessage.objects.filter(pk=sent.pk).update(
        status=Status.SENT, next_attempt_at=now - timedelta(hours=1)
    )

    assert outbox_sweep() == 2
    assert sorted(handed) == sorted([waiting.pk, stale.pk])


def test_a_stale_claim_is_taken_over_and_sent(smtp, settings):
    message = delivered_message()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert outbox_deliver(message_id=message.pk) == services.SENT
    assert len(smtp.messages) == 1


def test_the_web_request_never_talks_to_smtp(
    monkeypatch, settings, handed, django_capture_on_commit_callbacks
):
    def no_smtp(*args, **kwargs):
        raise AssertionError("the web request talked to SMTP")

    monkeypatch.setattr(smtplib, "SMTP", no_smtp)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    from django.test import Client

    client = Client()
    client.force_login(UserFactory(role="staff"))
    order = order_with_lines(status=OrderStatus.SHIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders:status_change", args=[order.number]), {"to": "delivered", "note": ""}
        )
    assert response.status_code in (200, 302)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    message = OutboxMessage.objects.get(order=order)
    assert handed == [message.pk]
    assert message.status == Status.PENDING


def test_a_message_that_cannot_be_rendered_counts_its_attempts(smtp):
    order = order_with_lines(status=OrderStatus.SHIPPED)
    message = outbox_enqueue(
        order=order, kind=OutboxMessage.Kind.SHIPPED, subject_key="shipment:0", actor=SYSTEM
    )
    assert outbox_deliver(message_id=message.pk) == services.RETRY
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "DoesNotExist" in message.last_error
    assert smtp.messages == []


def test_the_sweep_rehands_a_row_only_when_its_last_hand_off_is_old(handed, settings):
    """Issue 10, 3: with the worker down, every tick re-handed every waiting row."""
    settings.NOTIFICATIONS_SWEEP_GRACE = 1
    settings.NOTIFICATIONS_REHAND_AFTER = 600
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for _ in range(3):
        message = delivered_message()
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=an_hour_ago, handed_at=an_hour_ago
        )
    assert outbox_sweep() == 3
    for _tick in range(5):
        assert outbox_sweep() == 0
    assert len(handed) == 3
    # The worker's own sweep when it starts hands everything waiting, whenever it was handed.
    assert outbox_sweep(everything=True) == 3


def test_a_5xx_answer_fails_the_email_at_once_with_the_servers_reason(smtp, settings):
    settings.NOTIFICATIONS_RETRY_PERIOD = 3600
    smtp.reject = "550 5.1.1 No such mailbox here"
    message = delivered_message(customer_email="nobody@example.com")
    assert outbox_deliver(message_id=message.pk) == services.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "550 5.1.1 No such mailbox here" in message.last_error
    assert message.order.events.filter(message__contains="No such mailbox here").exists()


def test_transient_failures_keep_retrying_for_the_retry_period(smtp, settings):
    """Issue 10, 6: eight attempts used to end it (~63 minutes at the defaults)."""
    settings.NOTIFICATIONS_RETRY_PERIOD = 24 * 60 * 60
    smtp.refuse = 12
    message = delivered_message()
    for _attempt in range(12):
        assert outbox_deliver(message_id=message.pk) == services.RETRY
        message.refresh_from_db()
        assert message.next_attempt_at <= message.retry_until
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(message_id=message.pk) == services.SENT
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 12)


def test_a_database_error_while_rendering_does_not_use_up_an_attempt(smtp, monkeypatch):
    from django.db import OperationalError

    message = delivered_message()

    def database_gone(message):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "render_email", database_gone)
    assert outbox_deliver(message_id=message.pk) == services.RETRY
    message.refresh_from_db()
    assert (message.status, message.attempts, message.claim_token) == (Status.PENDING, 0, None)
    assert smtp.messages == []


def test_a_claim_taken_over_while_sending_neither_marks_nor_says_sent(smtp, monkeypatch):
    """Issue 10, 5: a conversation longer than the lease; another worker claimed the row in
    the meantime. The first worker's mark is fenced on its claim token, not just the status."""
    from django.core.mail.backends.smtp import EmailBackend

    message = delivered_message()
    send = EmailBackend.send_messages

    def slow_send(backend, messages):
        sent = send(backend, messages)
        # Meanwhile the lease ran out and a second worker claimed the row (still `sending`).
        OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now())
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_at=timezone.now() - timedelta(hours=1)
        )
        assert services._claim(message.pk) is not None
        return sent

    monkeypatch.setattr(EmailBackend, "send_messages", slow_send)
    assert outbox_deliver(message_id=message.pk) == services.NOT_CLAIMED
    message.refresh_from_db()
    assert message.status == Status.SENDING  # the second claim's to settle
    assert not message.order.events.filter(message__contains="sent to").exists()


def test_the_failed_page_shows_every_failed_email_a_page_at_a_time_and_retries_all(client, handed):
    """Issue 10, 6: the page was capped at 200 and had no "retry all"."""
    from notifications.views import FAILED_PER_PAGE

    messages = [delivered_message() for _ in range(FAILED_PER_PAGE + 3)]
    OutboxMessage.objects.update(status=Status.FAILED, last_error="451 try later")
    client.force_login(UserFactory(role="staff"))
    first = client.get(reverse("notifications:failed")).content.decode()
    second = client.get(reverse("notifications:failed"), {"page": 2}).content.decode()
    shown = [m for m in messages if f"#{m.order.number}<" in first + second]
    assert len(shown) == len(messages)
    assert f"Retry all {len(messages)}" in first

    response = client.post(reverse("notifications:retry_all"))
    assert response.status_code == 302
    assert not OutboxMessage.objects.filter(status=Status.FAILED).exists()
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == len(messages)
