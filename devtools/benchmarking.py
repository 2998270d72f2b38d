"""The benchmark's probes: the budgets of PRODUCT.md ("How good it must be"), measured.

A probe is a name, a budget and a `run(context) -> Measurement`. Page probes time in-process
GETs through Django's test client (server time, warm) and count their SQL queries; the intake
probe posts orders to a real gunicorn; the email probe ships orders to a worker of its own. To
measure something new, append a probe to `PROBES` (or write a class with `name` and `run`), and
the table and the JSON pick it up.
"""

import functools
import http.client
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devtools import harness
from devtools.harness import free_port


@dataclass
class Measurement:
    probe: str
    status: str  # the HTTP status seen ("200"), or why there is no number ("n/a (HTTP 404)")
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    throughput: float | None = None
    unit: str = ""  # of the throughput: "orders/s", "rows/s"
    budget: str = ""
    verdict: str = ""  # "ok", "OVER", or "" when there is nothing to judge


@dataclass
class Context:
    """What probes get: a logged-in test client, sample data and the intake server, if any."""

    client: object = None
    https: bool = False  # requests as HTTPS, so that SECURE_SSL_REDIRECT does not redirect
    order_numbers: list[int] = field(default_factory=list)
    repeat: int = 50
    warmup: int = 5
    intake_url: str = ""  # "http://127.0.0.1:8123"
    intake_key: str = ""
    intake_lines: list[tuple[str, str]] = field(default_factory=list)  # (sku, unit price)
    requests: int = 2_000
    concurrency: int = 8
    notifications: int = 500  # signed gateway notifications the notification probe posts
    database_url: str = ""  # the bench database, for the processes a probe starts
    emails: int = 250  # shipments the email probe records, paced at `email_rate` a second
    email_rate: float = 50
    purchase_orders: int = 1_000  # drop-ship orders the PO probe creates and sends POs for
    work_dir: Path | None = None  # where a probe's processes write their logs

    def number(self, i: int) -> int:
        return self.order_numbers[i % len(self.order_numbers)] if self.order_numbers else 1


class Probe(Protocol):
    name: str
    needs_server: bool  # run while the bench's gunicorn serves (ctx.intake_url); else in-process

    def run(self, ctx: Context) -> Measurement: ...


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass
class PageProbe:
    """GET a page `repeat` times after `warmup` and report the median and p95 server time."""

    name: str
    path: Callable[[Context, int], str]  # (context, iteration) -> URL
    budget_ms: float | None = None
    expect: int = 200
    needs_server = False

    def run(self, ctx: Context) -> Measurement:
        def get(i):
            return ctx.client.get(self.path(ctx, i), secure=ctx.https)

        for i in range(ctx.warmup):
            get(i)
        timings, statuses = [], Counter()
        for i in range(ctx.repeat):
            started = time.perf_counter()
            response = get(ctx.warmup + i)
            timings.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] += 1
        with CaptureQueriesContext(connection) as queries:
            get(0)
        code = statuses.most_common(1)[0][0]
        median = statistics.median(timings)
        budget = f"≤ {self.budget_ms:g} ms median" if self.budget_ms else ""
        if statuses.keys() != {self.expect}:
            verdict = f"expected {self.expect}"
        elif self.budget_ms:
            verdict = "ok" if median <= self.budget_ms else "OVER"
        else:
            verdict = ""
        return Measurement(
            probe=self.name,
            status=str(code)
            if len(statuses) == 1
            else ", ".join(f"{c}×{n}" for c, n in statuses.most_common()),
            median_ms=round(median, 2),
            p95_ms=round(percentile(timings, 95), 2),
            queries=len(queries),
            budget=budget,
            verdict=verdict,
        )


def _list(query: str = "") -> Callable[[Context, int], str]:
    return lambda ctx, i: reverse("orders:list") + (f"?{query}" if query else "")


@dataclass
class IntakeProbe:
    """POST `requests` orders with `concurrency` keep-alive connections; count only 201s."""

    name: str = "intake API (POST /api/v1/orders/)"
    budget_per_second: float = 300
    needs_server = True

    def payload(self, ctx: Context, i: int) -> dict:
        sku, price = ctx.intake_lines[i % len(ctx.intake_lines)]
        person = i % 997
        address = {
            "name": f"Bench Buyer {person}",
            "line1": f"{100 + person} Benchmark Road",
            "city": "Springfield",
            "postal_code": f"{10000 + person}",
            "country": "US",
        }
        return {
            "currency": "USD",
            "customer": {
                "email": f"bench.buyer{person}@example.com",
                "first_name": "Bench",
                "last_name": f"Buyer {person}",
            },
            "billing_address": address,
            "shipping_address": address,
            "lines": [{"sku": sku, "quantity": 1, "unit_price": price}],
            "subtotal": price,
            "discount": "0.00",
            "shipping": "0.00",
            "tax": "0.00",
            "total": price,
        }

    def run(self, ctx: Context) -> Measurement:
        budget = f"≥ {self.budget_per_second:g} orders/s"
        if not (ctx.intake_url and ctx.intake_key and ctx.intake_lines):
            return Measurement(self.name, "n/a (no server)", budget=budget)
        host, port = ctx.intake_url.removeprefix("http://").split(":")
        run_id = uuid.uuid4().hex[:12]
        bodies = [json.dumps(self.payload(ctx, i)).encode() for i in range(ctx.requests)]
        counter = itertools.count()
        statuses: Counter = Counter()
        latencies: list[float] = []
        lock = threading.Lock()

        def worker():
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                while (i := next(counter)) < ctx.requests:
                    headers = {
                        "Authorization": f"Bearer {ctx.intake_key}",
                        "Idempotency-Key": f"bench-{run_id}-{i}",
                        "Content-Type": "application/json",
                    }
                    started = time.perf_counter()
                    try:
                        conn.request("POST", "/api/v1/orders/", body=bodies[i], headers=headers)
                        response = conn.getresponse()
                        response.read()
                        code = response.status
                    except (OSError, http.client.HTTPException):
                        conn.close()  # reconnects on the next request
                        code = 0
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        statuses[code] += 1
                        if code == 201:
                            latencies.append(elapsed)
            finally:
                conn.close()

        threads = [threading.Thread(target=worker) for _ in range(max(1, ctx.concurrency))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        created = statuses.get(201, 0)
        others = [(c, n) for c, n in statuses.most_common() if c != 201]
        if not created:
            code = others[0][0] if others else 0
            return Measurement(
                self.name, f"n/a (HTTP {code})" if code else "n/a (no response)", budget=budget
            )
        rate = created / seconds
        status = "201" + "".join(f", HTTP {c or 'error'}×{n}" for c, n in others)
        return Measurement(
            probe=self.name,
            status=status,
            median_ms=round(statistics.median(latencies), 2),
            p95_ms=round(percentile(latencies, 95), 2),
            throughput=round(rate, 1),
            unit="orders/s",
            budget=budget,
            verdict="ok" if rate >= self.budget_per_second and not others else "OVER",
        )


@dataclass
class NotificationProbe:
    """POST `notifications` signed `payment.succeeded` notifications of the built-in test
    gateway, one per pending order made for the probe, with `concurrency` connections; count
    only the 200s that paid their order. Everything the probe made is deleted afterwards."""

    name: str = "gateway notifications (POST /payments/notify/)"
    needs_server = True

    def run(self, ctx: Context) -> Measurement:
        if not ctx.intake_url:
            return Measurement(self.name, "n/a (no server)")
        with _notification_fixture(ctx.notifications) as (gateway, orders):
            from payments.gateways.test import signed_test_notification

            path = gateway.notification_path()
            requests = [
                signed_test_notification(
                    gateway,
                    event_type="payment.succeeded",
                    order_number=number,
                    amount=total,
                    event_id=f"evt_bench_{uuid.uuid4().hex}",
                )
                for number, total in orders
            ]
            statuses, latencies, seconds = _post_all(ctx, path, requests, ok=_paid)
        paid = statuses.get("paid", 0)
        others = [(c, n) for c, n in statuses.most_common() if c != "paid"]
        if not paid:
            code = others[0][0] if others else "no response"
            return Measurement(self.name, f"n/a ({code})")
        return Measurement(
            probe=self.name,
            status="200" + "".join(f", {c}×{n}" for c, n in others),
            median_ms=round(statistics.median(latencies), 2),
            p95_ms=round(percentile(latencies, 95), 2),
            throughput=round(paid / seconds, 1),
            unit="notifications/s",
        )


def _paid(code: int, body: bytes) -> str:
    """What one answer counts as: "paid" only when the endpoint says it paid the order."""
    if code != 200:
        return f"HTTP {code or 'error'}"
    try:
        return "paid" if json.loads(body).get("outcome") == "paid" else "200, not paid"
    except ValueError:
        return "200, not JSON"


def _post_all(ctx: Context, path: str, requests: list, *, ok) -> tuple[Counter, list, float]:
    """POST every (body, headers) to the server with `concurrency` connections; returns the
    counted outcomes, the latencies of the successful ones (ms) and the wall time (s)."""
    host, port = ctx.intake_url.removeprefix("http://").split(":")
    counter = itertools.count()
    outcomes: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            while (i := next(counter)) < len(requests):
                body, headers = requests[i]
                started = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    outcome = ok(response.status, response.read())
                except (OSError, http.client.HTTPException):
                    conn.close()  # reconnects on the next request
                    outcome = ok(0, b"")
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    outcomes[outcome] += 1
                    if outcome == "paid":
                        latencies.append(elapsed)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(max(1, ctx.concurrency))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, latencies, time.perf_counter() - started


@contextmanager
def _notification_fixture(count: int):
    """An active test gateway and `count` pending orders of one line (no stock), deleted with
    their payments and notifications afterwards; a gateway that was active is again."""
    import secrets
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from orders.models import Channel, Order, OrderLine
    from payments import crypto
    from payments.models import Gateway, GatewayNotification, Payment

    with transaction.atomic():
        previous = list(Gateway.objects.filter(is_active=True).values_list("pk", flat=True))
        Gateway.objects.filter(pk__in=previous).update(is_active=False)
        gateway = Gateway.objects.create(
            kind=Gateway.Kind.TEST,
            name="Bench test gateway",
            is_active=True,
            credentials_encrypted=crypto.encrypt({"webhook_secret": secrets.token_urlsafe(32)}),
        )
        now = timezone.now()
        price = Decimal("10.00")
        orders = Order.objects.bulk_create(
            Order(
                channel=Channel.ONLINE,
                customer_email=f"bench.notify{i}@example.com",
                placed_at=now,
                currency="USD",
                subtotal=price,
                total=price,
            )
            for i in range(count)
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                sku="BENCH-NOTIFY",
                name="Bench item",
                unit_price=price,
                quantity=1,
                total=price,
                is_shippable=False,
            )
            for order in orders
        )
    ids = [order.pk for order in orders]
    try:
        yield gateway, list(Order.objects.filter(pk__in=ids).values_list("number", "total"))
    finally:
        with transaction.atomic():
            _delete_with_dependents(GatewayNotification.objects.filter(gateway=gateway))
            _delete_with_dependents(Payment.objects.filter(order_id__in=ids))
            _delete_with_dependents(Order.objects.filter(pk__in=ids))
            gateway.delete()
            Gateway.objects.filter(pk__in=previous).update(is_active=True)


def _delete_with_dependents(queryset, depth: int = 6) -> None:
    """Delete rows the probe made, and first whatever other apps made that protects them
    (the invoice an order's payment produced, its payment record, …)."""
    from django.db import transaction
    from django.db.models import ProtectedError, RestrictedError

    for _ in range(depth):
        try:
            with transaction.atomic():
                queryset.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            blockers = getattr(exc, "protected_objects", None) or exc.restricted_objects
            by_model: dict = {}
            for obj in blockers:
                by_model.setdefault(type(obj), []).append(obj.pk)
            for model, pks in by_model.items():
                _delete_with_dependents(model._base_manager.filter(pk__in=pks), depth - 1)
    queryset.delete()  # raises what still protects the rows


@dataclass
class ShippedEmailProbe:
    """Record `emails` shipments, each completing its order (Paid → Shipped) in a transaction of
    its own, paced at `email_rate` a second, while a real worker (prefork, as `make worker`)
    sends the emails through a redis-server of the probe's own to an SMTP server in this
    process; time each from its commit to the server having its shipped email. Five shipments
    first warm the worker up, untimed. Everything the probe made is deleted afterwards."""

    name: str = "shipped email, commit → SMTP server"
    warmup: int = 5
    deadline: float = 60  # seconds to wait for the last email after the last commit
    needs_server = False

    def run(self, ctx: Context) -> Measurement:
        if not ctx.database_url:
            return Measurement(self.name, "n/a (no database URL for the worker)")
        try:
            committed, message_ids, arrived = self._ship_and_record(ctx)
        except harness.HarnessError as exc:
            return Measurement(self.name, f"n/a ({exc})")
        latencies = _commit_to_smtp_ms(committed, message_ids, arrived)
        if not latencies:
            return Measurement(self.name, "n/a (no email arrived)")
        missing = ctx.emails - len(latencies)
        commits = sorted(committed.values())
        span = commits[-1] - commits[0]
        return Measurement(
            probe=self.name,
            status="250" + (f", missing×{missing}" if missing else ""),
            median_ms=round(statistics.median(latencies), 2),
            p95_ms=round(percentile(latencies, 95), 2),
            throughput=round((len(commits) - 1) / span, 1) if span else None,
            unit="shipments/s",
        )

    def _ship_and_record(self, ctx: Context) -> tuple[dict, dict, dict]:
        """Returns {order id: commit time}, {order id: Message-ID} and {Message-ID: arrival
        time at the SMTP server}."""
        # The worker stops before the fixture deletes what it made.
        with (
            _shipping_fixture(self.warmup + ctx.emails) as order_ids,
            _worker_pipeline(ctx, "email-worker.log") as pipeline,
        ):
            committed, arrived = pipeline.send_and_time(
                order_ids,
                warmup=self.warmup,
                action=functools.partial(_ship, carrier_id=_carrier_id("ups")),
                rate=ctx.email_rate,
                deadline=self.deadline,
            )
            return committed, _shipped_message_ids(order_ids[self.warmup :]), arrived


@dataclass
class _Pipeline:
    recorder: object  # harness.SmtpRecorder
    worker: object  # the running harness.worker
    log: Path

    def send_and_time(
        self, items: list, *, warmup: int, action, rate: float, deadline: float
    ) -> tuple[dict, dict]:
        """`action(item)` for the first `warmup` items, untimed, until their emails arrive;
        then for the rest paced at `rate` a second. Returns {item: what action returned (its
        commit time)} for the timed ones and {Message-ID: first arrival}; what has not arrived
        `deadline` seconds after the last commit is left out (reported as missing)."""
        for item in items[:warmup]:
            action(item)
        _wait_for_emails(self.recorder, self.worker, warmup, timeout=60, log=self.log)
        committed = _paced(items[warmup:], rate=rate, action=action)
        try:
            _wait_for_emails(self.recorder, self.worker, len(items), timeout=deadline, log=self.log)
        except harness.HarnessError:
            if not self.worker.alive:
                raise
        return committed, self.recorder.first_arrival()


@contextmanager
def _worker_pipeline(ctx: Context, log_name: str) -> Iterator[_Pipeline]:
    """A redis-server and an SMTP server of the probe's own and a real worker (prefork, as
    `make worker`) delivering through them; the worker is stopped at the end."""
    recorder = harness.SmtpRecorder()
    log = (ctx.work_dir or Path(tempfile.gettempdir())) / log_name
    with (
        tempfile.TemporaryDirectory(prefix="bench-redis-") as redis_dir,
        harness.RedisServer(directory=Path(redis_dir)) as redis,
        harness.smtp_server(recorder) as smtp_port,
        harness.handing_off_to(redis.url),
    ):
        env = harness.process_env(
            database_url=ctx.database_url, broker_url=redis.url, smtp_port=smtp_port
        )
        worker = harness.worker(env, log=log, solo=False).start()
        try:
            yield _Pipeline(recorder, worker, log)
        finally:
            worker.stop()


def _commit_to_smtp_ms(committed: dict, message_ids: dict, arrived: dict) -> list[float]:
    """Each email's time from its commit to the SMTP server having it, in ms."""
    return [
        (arrived[message_ids[key]] - at) * 1000
        for key, at in committed.items()
        if message_ids.get(key) in arrived
    ]


def _wait_for_emails(recorder, worker, count: int, *, timeout: float, log: Path) -> None:
    """Until the SMTP server has `count` emails; HarnessError when time runs out or the worker
    exits."""

    def arrived():
        if not worker.alive:
            raise harness.HarnessError(f"the worker exited; see {log}")
        return len(recorder) >= count

    harness.wait_for(arrived, timeout=timeout, what=f"{count} emails at the SMTP server")


def _carrier_id(code: str) -> int:
    from shipping.models import Carrier

    return Carrier.objects.values_list("pk", flat=True).get(code=code)


def _ship(order_id: int, *, carrier_id: int) -> float:
    """Ship the whole order in one parcel; returns when its transaction committed, on the
    monotonic clock the SMTP recorder also stamps arrivals with."""
    from django.db import transaction

    from orders.actors import Actor
    from shipping.services import shipment_create

    stamp: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs right after COMMIT, before the hand-off to the broker.
        transaction.on_commit(lambda: stamp.append(time.monotonic()))
        shipment_create(
            order_id=order_id,
            carrier_id=carrier_id,
            tracking_numbers=["1Z999AA10123456784"],  # a valid UPS number
            actor=Actor.system("Bench"),
        )
    return stamp[0]


def _paced(items: list, *, rate: float, action, threads: int = 4) -> dict:
    """Run `action(item)` for each item, item i started at i / rate seconds (a few threads, so a
    slow call does not delay the next ones); returns {item: what action returned}."""
    results: dict = {}
    counter = itertools.count()
    lock = threading.Lock()
    started = time.monotonic()

    def work():
        try:
            while (i := next(counter)) < len(items):
                time.sleep(max(0.0, started + i / rate - time.monotonic()))
                result = action(items[i])
                with lock:
                    results[items[i]] = result
        finally:
            connection.close()  # this thread's own

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def _shipped_message_ids(order_ids: list[int]) -> dict[int, str]:
    from notifications.models import OutboxMessage

    return dict(
        OutboxMessage.objects.filter(
            order_id__in=order_ids, kind=OutboxMessage.Kind.SHIPPED
        ).values_list("order_id", "message_id")
    )


@contextmanager
def _shipping_fixture(count: int):
    """`count` paid orders of one shippable line (no stock), each with its own customer email;
    yields their ids and deletes them afterwards with what shipping them made (shipments,
    emails, timeline)."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from orders.models import Channel, Order, OrderLine, OrderStatus

    price = Decimal("10.00")
    run = uuid.uuid4().hex[:8]
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            Order(
                channel=Channel.ONLINE,
                status=OrderStatus.PAID,
                customer_email=f"bench.ship{i}.{run}@example.com",
                customer_name=f"Bench Buyer {i}",
                placed_at=timezone.now(),
                currency="USD",
                subtotal=price,
                total=price,
            )
            for i in range(count)
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                sku="BENCH-SHIP",
                name="Bench parcel",
                unit_price=price,
                quantity=1,
                total=price,
                is_shippable=True,
            )
            for order in orders
        )
    ids = [order.pk for order in orders]
    try:
        yield ids
    finally:
        with transaction.atomic():
            _delete_with_dependents(Order.objects.filter(pk__in=ids))


@dataclass
class PurchaseOrderProbe:
    """Drop-ship `purchase_orders` paid orders: create and send each one's PO (one line, its
    product's default vendor, by email) as staff do with *Create PO(s) & Send*, one transaction
    per order from four threads, while a real worker (prefork, as `make worker`) renders the
    PDF and CSV and emails each PO through a redis-server of the probe's own to an SMTP server in
    this process. Reports POs/s through the worker (first commit to last email) and each PO's
    time from commit to the SMTP server. A few POs first warm the worker up, untimed.
    Everything the probe made is deleted afterwards."""

    name: str = "purchase orders, create & send → vendor's SMTP"
    warmup: int = 3
    deadline: float = 120  # seconds to wait for the last email after the last commit
    needs_server = False

    def run(self, ctx: Context) -> Measurement:
        if not ctx.database_url:
            return Measurement(self.name, "n/a (no database URL for the worker)")
        try:
            committed, message_ids, arrived = self._create_and_send(ctx)
        except harness.HarnessError as exc:
            return Measurement(self.name, f"n/a ({exc})")
        latencies = _commit_to_smtp_ms(committed, message_ids, arrived)
        if not latencies:
            return Measurement(self.name, "n/a (no email arrived)")
        missing = len(committed) - len(latencies)
        commits = committed.values()
        # Delivered: first timed commit to last arrival (the warm-up's arrived before both).
        span = max(arrived.values()) - min(commits)
        created = len(committed) / (max(commits) - min(commits) or 1)
        return Measurement(
            probe=self.name,
            status=f"250, created {created:.0f}/s" + (f", missing×{missing}" if missing else ""),
            median_ms=round(statistics.median(latencies), 2),
            p95_ms=round(percentile(latencies, 95), 2),
            throughput=round(len(latencies) / span, 1) if span else None,
            unit="POs/s",
        )

    def _create_and_send(self, ctx: Context) -> tuple[dict, dict, dict]:
        # The worker stops before the fixture deletes what it made.
        with (
            _drop_ship_fixture(self.warmup + ctx.purchase_orders) as lines,
            _worker_pipeline(ctx, "po-worker.log") as pipeline,
        ):
            order_ids = list(lines)
            committed, arrived = pipeline.send_and_time(
                order_ids,
                warmup=self.warmup,
                action=lambda order_id: _po_send(order_id, lines),
                rate=10_000,  # as fast as four threads go
                deadline=self.deadline,
            )
            return committed, _po_message_ids(order_ids[self.warmup :]), arrived


def _po_send(order_id: int, lines: dict[int, tuple[int, int]]) -> float:
    """*Create PO(s) & Send* for the order's one line; returns when it committed."""
    from django.db import transaction

    from orders.actors import Actor
    from purchasing.services import po_create_for_order

    line_id, vendor_id = lines[order_id]
    stamp: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.append(time.monotonic()))
        po_create_for_order(
            order_id=order_id, choices={line_id: vendor_id}, send=True, actor=Actor.system("Bench")
        )
    return stamp[0]


def _po_message_ids(order_ids: list[int]) -> dict[int, str]:
    from notifications.models import OutboxMessage

    return dict(
        OutboxMessage.objects.filter(
            order_id__in=order_ids, kind=OutboxMessage.Kind.PURCHASE_ORDER
        ).values_list("order_id", "message_id")
    )


@contextmanager
def _drop_ship_fixture(count: int):
    """`count` paid orders of one drop-shipped line each (a product of the probe's own whose
    default vendor takes POs by email); yields {order id: (line id, vendor id)} and deletes
    the orders (with their POs, emails and timeline), the product and the vendor afterwards."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Product, ProductVendor, Variant, Vendor
    from orders.models import Channel, Order, OrderLine, OrderStatus

    price, run = Decimal("25.00"), uuid.uuid4().hex[:8]
    with transaction.atomic():
        vendor = Vendor.objects.create(
            name=f"Bench Vendor {run}",
            email=f"po.{run}@vendor.example.com",
            po_method=Vendor.PoMethod.EMAIL,
            po_emails=[f"po.{run}@vendor.example.com"],
        )
        product = Product.objects.create(name=f"Bench drop-ship {run}", is_shippable=True)
        variant = Variant.objects.create(
            product=product, sku=f"BENCH-DS-{run}", price=price, cost_price=Decimal("11.00")
        )
        ProductVendor.objects.create(
            product=product, vendor=vendor, vendor_sku="V-1", cost=Decimal("11.00"), is_default=True
        )
        orders = Order.objects.bulk_create(
            Order(
                channel=Channel.ONLINE,
                status=OrderStatus.PAID,
                customer_email=f"bench.po{i}.{run}@example.com",
                customer_name=f"Bench Buyer {i}",
                shipping_address={
                    "name": f"Bench Buyer {i}",
                    "line1": "1 Bench Road",
                    "city": "Springfield",
                    "postal_code": "12345",
                    "country": "US",
                },
                placed_at=timezone.now(),
                currency="USD",
                subtotal=price,
                total=price,
            )
            for i in range(count)
        )
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                variant=variant,
                product=product,
                sku=variant.sku,
                name=product.name,
                unit_price=price,
                unit_cost=Decimal("11.00"),
                quantity=1,
                total=price,
                is_shippable=True,
                placed_at=order.placed_at,
            )
            for order in orders
        )
    try:
        yield {line.order_id: (line.pk, vendor.pk) for line in lines}
    finally:
        with transaction.atomic():
            _delete_with_dependents(Order.objects.filter(pk__in=[o.pk for o in orders]))
            product.delete()
            vendor.delete()


# ---- The order desk at scale (issue 5): samples the list and grid probes ask for --------------


@dataclass
class Samples:
    """Real values from the bench database for the probes' queries, looked up once."""

    list_deep: str  # an `after` cursor halfway down the orders list (newest first)
    grid_deep: str  # the same for the transactions grid
    placed_from: str  # a month of dates, two months back
    placed_to: str
    email: str  # one customer's whole email address
    name_prefix: str  # the start of a customer's name
    surname: str  # the last word of a customer's name (not its start)
    number_prefix: str  # the first digits of an order number
    product_id: int  # a popular product (for the grid's item filter)
    po_order_numbers: tuple[int, ...]  # orders with purchase orders (the order page's POs panel)


def _samples(ctx: Context) -> Samples:
    cached = getattr(ctx, "_samples", None)
    if cached is not None:
        return cached
    from datetime import timedelta

    from django.utils import timezone

    from orders.grid import selectors as grid
    from orders.models import Order, OrderLine
    from orders.selectors import _cursor_encode
    from purchasing.models import PurchaseOrder

    orders = Order.objects.count()
    middle = (
        Order.objects.order_by("-placed_at", "-id").only("placed_at", "id")[orders // 2]
        if orders
        else None
    )
    lines = OrderLine.objects.count()
    line = (
        OrderLine.objects.select_related("order")
        .only("placed_at", "order_id", "id", "order__number")
        .order_by("-placed_at", "-order_id", "-id")[lines // 2]
        if lines
        else None
    )
    sample = Order.objects.filter(number=ctx.number(7)).first() or Order.objects.first()
    product = (
        OrderLine.objects.filter(placed_at__gte=timezone.now() - timedelta(days=30))
        .exclude(product_id=None)
        .values_list("product_id", flat=True)
        .first()
    )
    today = timezone.localdate()
    po_orders = tuple(
        PurchaseOrder.objects.order_by("-order_id").values_list("order__number", flat=True)[:50]
    )
    samples = Samples(
        list_deep=_cursor_encode(middle, "-placed_at") if middle else "",
        grid_deep=grid._cursor_encode(line, "-placed_at") if line else "",
        placed_from=(today - timedelta(days=60)).isoformat(),
        placed_to=(today - timedelta(days=31)).isoformat(),
        email=sample.customer_email if sample else "nobody@example.com",
        name_prefix=(sample.customer_name or "A")[:4] if sample else "A",
        surname=(sample.customer_name or "A").split()[-1] if sample else "A",
        number_prefix=str(sample.number)[:3] if sample else "1",
        product_id=product or 0,
        po_order_numbers=po_orders or (ctx.number(0),),
    )
    ctx._samples = samples
    return samples


def _desk(query: Callable[[Samples], str], url_name: str = "orders:list"):
    """A page of the orders list (or the grid) with a query built from the samples."""

    def path(ctx: Context, i: int) -> str:
        built = query(_samples(ctx))
        return reverse(url_name) + (f"?{built}" if built else "")

    return path


def _grid(query: Callable[[Samples], str]):
    return _desk(query, "orders:grid")


@dataclass
class ExportProbe:
    """Export every row a list shows (CSV, streamed by Postgres through COPY), timed once."""

    name: str
    source: str
    query: str = ""
    min_rows_per_second: float = 100_000
    needs_server = False

    def run(self, ctx: Context) -> Measurement:
        from django.http import QueryDict

        from reports.exports import SOURCES, csv_blocks

        source = SOURCES[self.source]
        user = _bench_user(ctx)
        queryset = source.queryset(user=user, filters=QueryDict(self.query))
        started = time.perf_counter()
        rows = -1  # the header
        size = 0
        for block in csv_blocks(source, queryset):
            rows += block.count(b"\n")
            size += len(block)
        seconds = time.perf_counter() - started
        rate = rows / seconds if seconds else 0
        return Measurement(
            probe=self.name,
            status=f"{rows:,} rows, {size / 1e6:.0f} MB",
            median_ms=round(seconds * 1000, 1),
            throughput=round(rate),
            unit="rows/s",
            budget=f"≥ {self.min_rows_per_second:,.0f} rows/s",
            verdict="ok" if rate >= self.min_rows_per_second else "OVER",
        )


def _bench_user(ctx: Context):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=ctx.client.session["_auth_user_id"])


PROBES: list[Probe] = [
    IntakeProbe(),
    NotificationProbe(),
    ShippedEmailProbe(),
    PageProbe("order list", _list(), budget_ms=25),
    PageProbe("order list, status=paid", _list("status=paid"), budget_ms=25),
    PageProbe("order list, channel=in_store", _list("channel=in_store"), budget_ms=25),
    PageProbe("order list, sort=-total", _list("sort=-total"), budget_ms=50),
    PageProbe(
        "lookup by number (q=)",
        lambda ctx, i: reverse("orders:list") + f"?q={ctx.number(i)}",
        budget_ms=5,
        expect=302,
    ),
    PageProbe("order list, deep page", _desk(lambda s: f"after={s.list_deep}"), budget_ms=25),
    PageProbe(
        "order list, placed in a month",
        _desk(lambda s: f"placed_from={s.placed_from}&placed_to={s.placed_to}"),
        budget_ms=25,
    ),
    PageProbe(
        "order list, online+paid+month",
        _desk(
            lambda s: (
                "channel=online&status=paid&payment=paid"
                f"&placed_from={s.placed_from}&placed_to={s.placed_to}"
            )
        ),
        budget_ms=25,
    ),
    PageProbe("order list, risk=high", _desk(lambda s: "risk=high"), budget_ms=25),
    PageProbe("order list, sort=number", _desk(lambda s: "sort=number"), budget_ms=50),
    PageProbe("order list, sort=status", _desk(lambda s: "sort=status"), budget_ms=50),
    PageProbe(
        "lookup by number prefix (type-ahead)",
        lambda ctx, i: reverse("orders:number_suggestions") + f"?q={_samples(ctx).number_prefix}",
        budget_ms=10,
    ),
    PageProbe(
        "order list, number prefix search", _desk(lambda s: f"q={s.number_prefix}"), budget_ms=25
    ),
    PageProbe("search by customer name", _desk(lambda s: f"q={s.name_prefix}"), budget_ms=30),
    PageProbe("search by customer email", _desk(lambda s: f"q={s.email}"), budget_ms=30),
    PageProbe("search by a word of the name", _desk(lambda s: f"q={s.surname}"), budget_ms=30),
    PageProbe("grid", _grid(lambda s: ""), budget_ms=25),
    PageProbe("grid, deep page", _grid(lambda s: f"after={s.grid_deep}"), budget_ms=25),
    PageProbe(
        "grid, dates",
        _grid(lambda s: f"start={s.placed_from}&end={s.placed_to}"),
        budget_ms=25,
    ),
    PageProbe("grid, item", _grid(lambda s: f"item={s.product_id}"), budget_ms=25),
    PageProbe("grid, status=paid", _grid(lambda s: "status=paid"), budget_ms=25),
    PageProbe(
        "grid, item+status+dates",
        _grid(
            lambda s: f"item={s.product_id}&status=complete&start={s.placed_from}&end={s.placed_to}"
        ),
        budget_ms=25,
    ),
    PageProbe("grid, sort=-total", _grid(lambda s: "sort=-total"), budget_ms=50),
    PageProbe("grid, sort=quantity", _grid(lambda s: "sort=quantity"), budget_ms=50),
    PageProbe("grid, sort=number", _grid(lambda s: "sort=number"), budget_ms=50),
    PageProbe(
        "grid, status=paid, sort=-total", _grid(lambda s: "status=paid&sort=-total"), budget_ms=50
    ),
    PageProbe(
        "order detail",
        lambda ctx, i: reverse("orders:detail", kwargs={"number": ctx.number(i)}),
        budget_ms=20,
    ),
    PageProbe(
        "order detail with purchase orders",
        lambda ctx, i: reverse(
            "orders:detail",
            kwargs={
                "number": _samples(ctx).po_order_numbers[i % len(_samples(ctx).po_order_numbers)]
            },
        ),
        budget_ms=20,
    ),
    PurchaseOrderProbe(),
    ExportProbe("export orders (CSV, every order)", "orders"),
    ExportProbe("export grid (CSV, every item)", "transactions"),
]


# --- Order entry (seed 003): suggestions, each step's page, placing ---------------------------


def _entry_new_draft(ctx: Context) -> int:
    """A draft of the bench user at review: a contact with an address, two items shipped there
    by the first speed (made with the demo's helper)."""
    from catalog.models import Variant
    from customers.models import Profile
    from devtools.seeding import _entry_draft, shipping_methods_ensure

    shipping_methods_ensure()  # a store without speeds gets the demo's
    profile = Profile.objects.filter(addresses__isnull=False).order_by("id").first()
    variants = list(
        Variant.objects.filter(
            product__is_shippable=True, product__is_active=True, track_stock=False
        ).order_by("id")[:2]
        or Variant.objects.filter(product__is_shippable=True, product__is_active=True).order_by(
            "-stock"
        )[:2]
    )
    return _entry_draft(_bench_user(ctx), profile, variants, ship=True).pk


def _entry_draft_id(ctx: Context) -> int:
    if getattr(ctx, "_entry_draft", None) is None:
        ctx._entry_draft = _entry_new_draft(ctx)
    return ctx._entry_draft


def _entry_page(url_name: str, query: Callable[[Context], str] = lambda ctx: ""):
    def path(ctx: Context, i: int) -> str:
        built = query(ctx)
        url = reverse(f"entry:{url_name}", kwargs={"pk": _entry_draft_id(ctx)})
        return url + (f"?{built}" if built else "")

    return path


def _product_word(ctx: Context) -> str:
    from catalog.models import Variant

    name = Variant.objects.filter(product__is_active=True).values_list("product__name", flat=True)
    return "q=" + (name.first() or "a").split()[0][:4]


@dataclass
class EntryPlaceProbe:
    """Place `repeat` drafts (made beforehand, untimed) through the review's POST, unpaid; the
    bench deletes the orders it added when it ends."""

    name: str = "order entry: place an order"
    budget_ms: float = 150
    needs_server = False

    def run(self, ctx: Context) -> Measurement:
        from entry.models import Draft

        count = min(ctx.repeat, 30)
        drafts = [_entry_new_draft(ctx) for _ in range(count + 1)]
        timings, statuses = [], Counter()
        try:
            for draft_id in drafts[:-1]:
                started = time.perf_counter()
                response = ctx.client.post(
                    reverse("entry:place", kwargs={"pk": draft_id}),
                    {"payment": "later"},
                    secure=ctx.https,
                )
                timings.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] += 1
            with CaptureQueriesContext(connection) as queries:
                ctx.client.post(
                    reverse("entry:place", kwargs={"pk": drafts[-1]}),
                    {"payment": "later"},
                    secure=ctx.https,
                )
        finally:
            Draft.objects.filter(owner=_bench_user(ctx)).delete()
            ctx._entry_draft = None
        median = statistics.median(timings)
        ok = statuses.keys() == {302}
        return Measurement(
            probe=self.name,
            status=", ".join(f"{c}×{n}" for c, n in statuses.most_common()),
            median_ms=round(median, 2),
            p95_ms=round(percentile(timings, 95), 2),
            queries=len(queries),
            budget=f"≤ {self.budget_ms:g} ms median",
            verdict=("ok" if median <= self.budget_ms else "OVER") if ok else "expected 302",
        )


PROBES += [
    PageProbe(
        "order entry: contact suggestions",
        _entry_page("contact_suggestions", lambda ctx: f"q={_samples(ctx).name_prefix}"),
        budget_ms=15,
    ),
    PageProbe(
        "order entry: product suggestions",
        _entry_page("product_search", _product_word),
        budget_ms=15,
    ),
    PageProbe("order entry: contact step", _entry_page("contact"), budget_ms=30),
    PageProbe("order entry: items step", _entry_page("items"), budget_ms=30),
    PageProbe("order entry: shipping step", _entry_page("shipping"), budget_ms=30),
    PageProbe("order entry: review step", _entry_page("review"), budget_ms=30),
    EntryPlaceProbe(),
]


def run_probes(probes: list[Probe], ctx: Context, *, on_result=None) -> list[Measurement]:
    """Run each probe; one that raises is reported as such and the others still run."""
    results = []
    for probe in probes:
        try:
            result = probe.run(ctx)
        except Exception as exc:  # a broken page must not hide the other measurements
            result = Measurement(probe.name, f"error: {exc.__class__.__name__}: {exc}"[:120])
        results.append(result)
        if on_result:
            on_result(result)
    return results


COLUMNS = [
    ("probe", "probe", "<"),
    ("status", "status", "<"),
    ("median ms", "median_ms", ">"),
    ("p95 ms", "p95_ms", ">"),
    ("queries", "queries", ">"),
    ("throughput", "throughput", ">"),
    ("budget", "budget", "<"),
    ("verdict", "verdict", "<"),
]


def _cell(m: Measurement, attr: str) -> str:
    value = getattr(m, attr)
    if value is None or value == "":
        return "—" if attr not in ("budget", "verdict") else ""
    if attr == "throughput":
        return f"{value:,.0f} {m.unit}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def format_table(measurements: list[Measurement]) -> str:
    """The measurements as a plain-text table with aligned columns."""
    rows = [[title for title, _, _ in COLUMNS]]
    rows += [[_cell(m, attr) for _, attr, _ in COLUMNS] for m in measurements]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row):
        cells = [
            cell.ljust(w) if align == "<" else cell.rjust(w)
            for cell, w, (_, _, align) in zip(row, widths, COLUMNS, strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def write_json(path: Path, measurements: list[Measurement], **meta) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**meta, "probes": [asdict(m) for m in measurements]}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


# --- The intake server ---------------------------------------------------------------------


class ServerError(RuntimeError):
    """gunicorn did not start or did not answer."""


@contextmanager
def gunicorn(*, env: dict, cwd: Path, log: Path, workers: int = 3) -> Iterator[str]:
    """A gunicorn serving the app on a free port; yields its base URL and always stops it.
    Three workers, as the Dockerfile and docker-compose.yml run it on two cores."""
    port = free_port()
    executable = Path(sys.executable).with_name("gunicorn")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (our own executable and arguments)
            [str(executable), "backoffice.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen, port: int, log: Path, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited with {process.returncode}; see {log}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/health/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise ServerError(f"gunicorn did not answer within {timeout:.0f} s; see {log}")


def child_env(database_url: str) -> dict:
    """The environment of the bench's server and child commands: its own database, settings
    that need no secrets, and no broker or SMTP (tasks run in-process, mail goes to files),
    so nothing it does reaches the development database's worker or a mail server."""
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, BACKOFFICE_TESTING="1", DEBUG="0")
    for name in ("REDIS_URL", "EMAIL_URL"):
        env.pop(name, None)
    return env


# ---- Reports (issue 14): each report over two years, and the daily totals' upkeep ----------


def _report(url_name: str, query: str = "") -> Callable[[Context, int], str]:
    """A report over the two years up to today (the seed's history), the range moved a day
    per iteration so that no two requests are the same."""

    def path(ctx: Context, i: int) -> str:
        from datetime import timedelta

        from django.utils import timezone

        end = timezone.localdate() - timedelta(days=i % 7)
        start = end - timedelta(days=729)
        return f"{reverse(url_name)}?start={start}&end={end}" + (f"&{query}" if query else "")

    return path


@contextmanager
def _report_rows_restored(since) -> Iterator[None]:
    """The reports' rows from `since` on as they were before the block, whatever it
    committed: copied aside first, put back after."""
    from reports.models import DailyTotals, VariantSales

    variant, daily = VariantSales._meta.db_table, DailyTotals._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bench_variant_rows AS SELECT * FROM {variant} WHERE start >= %s",  # noqa: S608
            [since],
        )
        cursor.execute(
            f"CREATE TEMP TABLE bench_daily_rows AS SELECT * FROM {daily} WHERE day >= %s",  # noqa: S608
            [since],
        )
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {variant} WHERE start >= %s", [since])  # noqa: S608
            cursor.execute(f"INSERT INTO {variant} SELECT * FROM bench_variant_rows")  # noqa: S608
            cursor.execute(f"DELETE FROM {daily} WHERE day >= %s", [since])  # noqa: S608
            cursor.execute(f"INSERT INTO {daily} SELECT * FROM bench_daily_rows")  # noqa: S608
            cursor.execute("DROP TABLE bench_variant_rows, bench_daily_rows")


@dataclass
class UpkeepProbe:
    """What keeping the daily totals adds to paying an order: the statement of one sale
    (reports.totals.daily_totals_add_event) for the newest paid orders' payment events, each
    in its own committed transaction as a payment is (its prepared statement kept, its
    updates HOT-pruned as in production). The rows it touched are put back afterwards."""

    name: str = "reports upkeep per payment (1 statement)"
    budget_ms: float = 1
    needs_server = False

    def run(self, ctx: Context) -> Measurement:
        from datetime import timedelta

        from django.utils import timezone

        from orders.models import OrderEvent, OrderStatus
        from reports.totals import daily_totals_add_event

        events = list(
            OrderEvent.objects.filter(
                kind=OrderEvent.Kind.STATUS,
                from_status=OrderStatus.PENDING,
                to_status=OrderStatus.PAID,
            )
            .order_by("-id")
            .values_list("pk", "created_at")[: ctx.repeat + ctx.warmup]
        )
        if not events:
            return Measurement(self.name, "n/a (no paid orders)")
        oldest = min(timezone.localdate(at) for _, at in events)
        # Each event adds to its day's, its week's (from Monday) and its month's rows.
        since = min(oldest.replace(day=1), oldest - timedelta(days=6))
        timings = []
        with _report_rows_restored(since):
            for i, (event_id, _) in enumerate(events):
                with transaction.atomic():
                    started = time.perf_counter()
                    daily_totals_add_event(event_id=event_id)
                    elapsed = (time.perf_counter() - started) * 1000
                if i >= ctx.warmup or len(events) <= ctx.warmup:
                    timings.append(elapsed)
        median = statistics.median(timings)
        return Measurement(
            probe=self.name,
            status="ok",
            median_ms=round(median, 3),
            p95_ms=round(percentile(timings, 95), 3),
            queries=1,
            budget=f"≤ {self.budget_ms:g} ms median",
            verdict="ok" if median <= self.budget_ms else "OVER",
        )


PROBES += [
    PageProbe("report: sales over time, 2 years by day", _report("reports:sales"), budget_ms=50),
    PageProbe(
        "report: sales over time, 2 years by week, vs a year earlier",
        _report("reports:sales", "group=week&compare=year"),
        budget_ms=50,
    ),
    PageProbe(
        "report: sales over time, 2 years by month, online",
        _report("reports:sales", "group=month&channel=online"),
        budget_ms=50,
    ),
    PageProbe("report: by channel, 2 years", _report("reports:channels"), budget_ms=50),
    PageProbe("report: by product, 2 years", _report("reports:products"), budget_ms=50),
    PageProbe(
        "report: by product, 2 years, sort=-margin",
        _report("reports:products", "sort=-margin"),
        budget_ms=50,
    ),
    PageProbe("report: stock", lambda ctx, i: reverse("reports:stock"), budget_ms=50),
    UpkeepProbe(),
]
