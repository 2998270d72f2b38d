"""Fault tests of the outbox (issue 4): each starts its own redis-server, Celery worker and beat
(the sweep), and SMTP server on spare ports, breaks one of them while emails are on their way,
and checks that the SMTP server finally had every email, every copy of one email with the same
Message-ID. Duplicates are printed; only a worker killed between the server's acceptance and
the sent-mark may make one (one per kill)."""

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from devtools.harness import (
    CeleryProcess,
    RedisServer,
    SmtpRecorder,
    beat,
    handing_off_to,
    process_env,
    smtp_server,
    wait_for,
    worker,
)
from devtools.management.commands.bench import database_url
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver, outbox_sweep
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from shipping.models import Carrier
from shipping.services import shipment_create
from tests.factories import order_with_lines

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = Actor.system("Fault test")
UPS_OK = "1Z999AA10123456784"
# Production's timings, made short: the sweep runs every half second and takes rows waiting
# for a second, or claimed two seconds ago by a worker that is gone, handed two seconds ago at
# the latest; retries start at 0.25 s.
FAST = {
    "NOTIFICATIONS_SWEEP_INTERVAL": 0.5,
    "NOTIFICATIONS_SWEEP_GRACE": 1,
    "NOTIFICATIONS_SENDING_LEASE": 2,
    "NOTIFICATIONS_RETRY_BASE": 0.25,
    "NOTIFICATIONS_RETRY_MAX": 2,
    "NOTIFICATIONS_REHAND_AFTER": 2,
}
Status = OutboxMessage.Status


@dataclass
class Rig:
    """One test's own Redis, SMTP server and Celery processes (stopped at teardown). The
    processes write to the test's output, which pytest shows when the test fails."""

    redis: RedisServer
    smtp: SmtpRecorder
    env: dict
    tmp: Path
    processes: list[CeleryProcess] = field(default_factory=list)

    def worker(self, *, solo: bool = True) -> CeleryProcess:
        self.processes.append(worker(self.env, solo=solo).start())
        return self.processes[-1]

    def beat(self) -> CeleryProcess:
        self.processes.append(beat(self.env, schedule=self.tmp / "beat-schedule").start())
        return self.processes[-1]


@pytest.fixture
def rig(tmp_path):
    recorder = SmtpRecorder()
    db = connection.settings_dict
    with (
        RedisServer(directory=tmp_path / "redis") as redis,
        smtp_server(recorder) as smtp_port,
        handing_off_to(redis.url),
    ):
        env = process_env(
            database_url=database_url(db, db["NAME"]),
            broker_url=redis.url,
            smtp_port=smtp_port,
            **FAST,
        )
        rig = Rig(redis=redis, smtp=recorder, env=env, tmp=tmp_path)
        try:
            yield rig
        finally:
            for process in rig.processes:
                process.stop()


def ship(count: int) -> None:
    """`count` paid orders, each shipped in full by its own shipment: one shipped email each,
    handed to the broker after its commit."""
    ups = Carrier.objects.get(code="ups")
    for _ in range(count):
        order = order_with_lines(status=OrderStatus.PAID)
        shipment_create(
            order_id=order.pk, carrier_id=ups.pk, tracking_numbers=[UPS_OK], actor=STAFF
        )


def all_sent(count: int) -> bool:
    """`count` emails in the outbox, all marked sent (the SMTP server had each before)."""
    statuses = list(OutboxMessage.objects.values_list("status", flat=True))
    return len(statuses) == count and set(statuses) == {Status.SENT}


def assert_every_email_arrived(rig: Rig, *, duplicates_allowed: int) -> dict[str, int]:
    """Every outbox email reached the SMTP server, every copy of one email with its row's
    Message-ID; prints and returns the duplicates (Message-ID -> extra copies)."""
    expected = dict(OutboxMessage.objects.values_list("message_id", "to_email"))
    copies = rig.smtp.copies()
    duplicates = {message_id: n - 1 for message_id, n in copies.items() if n > 1}
    print(
        f"\n{len(expected)} emails, {sum(copies.values())} arrivals at the SMTP server, "
        f"duplicates: {duplicates or 'none'}"
    )
    assert set(copies) == set(expected)
    for recipient, message_ids in rig.smtp.message_ids_by_recipient().items():
        assert len(message_ids) == 1, f"{recipient} got copies with different Message-IDs"
        assert expected[message_ids.pop()] == recipient
    assert sum(duplicates.values()) <= duplicates_allowed
    sent_events = Counter(
        OrderEvent.objects.filter(
            kind=OrderEvent.Kind.EMAIL, message__contains=" sent to "
        ).values_list("order_id", flat=True)
    )
    assert set(sent_events.values()) == {1}, "the timeline says 'sent' more than once"
    assert len(sent_events) == len(expected)
    return duplicates


def test_emails_shipped_while_redis_is_down_are_sent_once_it_is_back(rig, caplog):
    rig.beat()
    rig.worker()
    ship(2)
    wait_for(lambda: len(rig.smtp) == 2, timeout=45, what="the emails shipped before the outage")

    rig.redis.stop()
    with caplog.at_level(logging.ERROR, logger="notifications.services"):
        ship(4)
    handed_off = [r for r in caplog.records if "not handed to the worker" in r.getMessage()]
    assert len(handed_off) == 4
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == 4
    rig.redis.start()  # the same port, empty: what was queued before the outage is gone too

    wait_for(lambda: all_sent(6), timeout=45, what="every email sent")
    assert_every_email_arrived(rig, duplicates_allowed=0)


def test_a_worker_killed_mid_batch_repeats_at_most_the_email_it_was_sending(rig):
    # The server answers 250 a little after it has the message: a kill that lands then is the
    # window that cannot be closed (the server has the email, the worker never learns it).
    rig.smtp.delay = 0.05
    rig.beat()
    current = rig.worker()
    ship(50)

    kills = 0
    for arrived in (15, 35):
        wait_for(
            lambda n=arrived: len(rig.smtp) >= n,
            timeout=45,
            poll=0.01,
            what=f"{arrived} emails at the SMTP server",
        )
        current.kill()
        kills += 1
        assert len(rig.smtp) < 50
        current = rig.worker()

    wait_for(lambda: all_sent(50), timeout=45, what="all 50 emails sent")
    duplicates = assert_every_email_arrived(rig, duplicates_allowed=kills)
    print(f"{kills} kills, {sum(duplicates.values())} duplicates")


def test_emails_refused_with_4xx_for_a_while_are_retried_and_arrive_once(rig):
    rig.smtp.refuse = 12  # every email's first two tries (451), then the server accepts
    rig.beat()
    rig.worker()
    ship(6)

    wait_for(lambda: all_sent(6), timeout=45, what="every email sent")
    assert rig.smtp.refused == 12
    assert sum(OutboxMessage.objects.values_list("attempts", flat=True)) == 12
    assert_every_email_arrived(rig, duplicates_allowed=0)


@pytest.mark.django_db(transaction=False)
def test_the_sent_mark_is_written_before_the_smtp_connection_closes(smtp, monkeypatch):
    """Nothing but the mark between the server's acceptance and the mark: not even QUIT."""
    from django.core.mail.backends.smtp import EmailBackend

    order = order_with_lines(status=OrderStatus.SHIPPED)
    message = OutboxMessage.objects.create(
        order=order,
        kind=OutboxMessage.Kind.DELIVERED,
        subject_key="order",
        to_email=order.customer_email,
        message_id="<window@example.com>",
        next_attempt_at=order.placed_at,
    )
    seen_at_close = []
    close = EmailBackend.close

    def spying_close(backend):
        seen_at_close.append(OutboxMessage.objects.get(pk=message.pk).status)
        close(backend)

    monkeypatch.setattr(EmailBackend, "close", spying_close)
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert len(smtp.messages) == 1
    assert seen_at_close == [Status.SENT]


def test_the_worker_survives_redis_dropping_while_it_holds_an_unacknowledged_message(rig):
    # The server takes a while to answer, so the worker is mid-task (its message unacknowledged)
    # when Redis goes away; it used to exit from kombu's restore_unacked (issue 10, finding 1).
    rig.smtp.delay = 3
    rig.env["NOTIFICATIONS_SENDING_LEASE"] = "20"  # longer than the conversation here
    rig.beat()
    current = rig.worker(solo=False)  # prefork, as deployed: the consumer sees the outage
    ship(3)
    wait_for(lambda: len(rig.smtp) >= 1, timeout=30, what="the first email at the SMTP server")

    rig.redis.stop()
    time.sleep(1)  # an outage the worker notices while its tasks are still running
    rig.redis.start()

    wait_for(lambda: all_sent(3), timeout=45, what="every email sent")
    assert current.alive, "the worker exited after the broker outage"
    assert_every_email_arrived(rig, duplicates_allowed=0)


def test_without_beat_a_worker_that_starts_delivers_what_was_handed_off_while_it_was_down(rig):
    rig.redis.stop()
    ship(3)  # the hand-offs are lost: the broker is down
    rig.redis.start()
    rig.worker()  # and no beat: only the worker's own sweep when it starts finds them

    wait_for(lambda: all_sent(3), timeout=30, what="every email sent without beat")
    assert_every_email_arrived(rig, duplicates_allowed=0)


def _queued(rig: Rig, task: str) -> int:
    client = redis.Redis.from_url(rig.redis.url)
    try:
        messages = client.lrange("celery", 0, -1)
    finally:
        client.close()
    tasks = [json.loads(m)["headers"]["task"] for m in messages]
    return tasks.count(f"notifications.tasks.{task}")


def test_the_sweep_does_not_flood_the_queue_while_the_worker_is_down(rig, settings):
    settings.NOTIFICATIONS_SWEEP_GRACE = FAST["NOTIFICATIONS_SWEEP_GRACE"]
    settings.NOTIFICATIONS_REHAND_AFTER = FAST["NOTIFICATIONS_REHAND_AFTER"]
    # No worker: the emails wait past the grace, and the sweep (run here, as beat would have
    # the worker run it) ticks seven times. Each tick used to re-hand every waiting row.
    ship(4)
    assert _queued(rig, "deliver") == 4
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=5))
    for _tick in range(7):
        outbox_sweep()
    queued = _queued(rig, "deliver")
    print(f"\n{queued} deliveries queued for 4 emails after 7 sweeps")
    assert queued == 4

    rig.worker()
    wait_for(lambda: all_sent(4), timeout=30, what="every email sent")
    assert_every_email_arrived(rig, duplicates_allowed=0)


def test_a_live_worker_whose_database_sessions_die_after_acceptance_sends_once(rig):
    """pg_terminate_backend of the worker's sessions right after the server accepted: the
    sent-mark is retried on a fresh connection, not abandoned to the lease."""
    own = connection.connection.info.backend_pid if connection.connection else None
    dsn = database_url(connection.settings_dict, connection.settings_dict["NAME"])
    kills = Counter()

    def kill_the_workers_sessions():
        with psycopg.connect(dsn, autocommit=True) as db:
            rows = db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND pid <> %s",
                [own or 0],
            ).fetchall()
        kills["sessions"] += len(rows)

    connection.ensure_connection()
    own = connection.connection.info.backend_pid
    rig.beat()
    rig.worker()
    ship(6)
    rig.smtp.on_accept = kill_the_workers_sessions

    wait_for(lambda: all_sent(6), timeout=45, what="every email sent")
    print(f"\n{kills['sessions']} database sessions killed")
    assert kills["sessions"] >= 6
    assert_every_email_arrived(rig, duplicates_allowed=0)


def test_a_conversation_longer_than_the_lease_is_sent_and_recorded_once(rig):
    rig.smtp.delay = 3  # the server answers DATA after 3 s; the lease is 2 s
    rig.beat()
    rig.worker()
    rig.worker()  # a second worker, free to take over a claim whose lease ran out
    ship(2)

    wait_for(lambda: all_sent(2), timeout=45, what="every email sent")
    assert_every_email_arrived(rig, duplicates_allowed=0)


def test_a_long_4xx_outage_is_retried_until_the_server_is_back(rig):
    rig.env.update(NOTIFICATIONS_RETRY_BASE="0.05", NOTIFICATIONS_RETRY_MAX="0.2")
    rig.smtp.refuse = 36  # about twelve tries each: more than the eight that used to end it
    rig.beat()
    rig.worker()
    ship(3)

    wait_for(lambda: all_sent(3), timeout=45, what="every email sent")
    assert rig.smtp.refused == 36
    assert not OutboxMessage.objects.filter(status=Status.FAILED).exists()
    assert_every_email_arrived(rig, duplicates_allowed=0)
