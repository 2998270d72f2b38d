"""Reports and exports read from a real Postgres streaming replica, and from the primary, with a
note, when it lags beyond the bound or is stopped.

The module starts its own primary and replica (tests/core/pg_cluster.py) on spare ports and
removes them at the end; it skips, saying why, only when the PostgreSQL binaries are absent.
The test database (`default`) plays the application's primary; a copy of it on the throwaway
primary streams to the replica, so a read shows where it went by what it finds."""

import csv
import io
import json
import time
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import replica
from core.replica import (
    LAG_SQL,
    NOT_ANSWERING,
    ReadSource,
    ReplicaState,
    read_reporting,
    reporting_db,
)
from orders.models import Order
from reports import services
from reports.models import Export
from tests.core.pg_cluster import Cluster, database_alias, missing_binaries
from tests.factories import OrderFactory, OrderLineFactory, UserFactory, VariantFactory
from tests.reports.conftest import order_of, pay

pytestmark = pytest.mark.skipif(bool(missing_binaries()), reason=missing_binaries() or "-")


@pytest.fixture(scope="module")
def cluster(django_db_setup):  # the test databases exist before the alias does
    """The primary and replica, and the `replica` alias pointing at the replica's copy.

    The alias exists for the whole module so that a test's django_db mark may allow it; it is
    marked a test mirror so that the test case never flushes it (a standby is read-only)."""
    made = Cluster()
    try:
        made.start()
        made.primary("CREATE DATABASE shop")
        with database_alias("replica", port=made.replica_port, name="shop", mirror="default"):
            yield made
    finally:
        made.stop()


@pytest.fixture(autouse=True)
def fresh_checks():
    replica.forget()
    yield
    replica.forget()


def make_order(total: str) -> Order:
    made = OrderFactory()
    OrderLineFactory(order=made)
    Order.objects.filter(pk=made.pk).update(total=Decimal(total))
    made.refresh_from_db()
    return made


def run_export(user, fmt: str) -> Export:
    """The worker's export of the orders list (its job row is written on the primary)."""
    job = Export.objects.create(source="orders", format=fmt, filename=f"o.{fmt}", created_by=user)
    services.export_run(export_id=job.pk)
    job.refresh_from_db()
    assert job.status == Export.Status.DONE, job.error
    return job


def csv_totals(user) -> dict[int, str]:
    """Order number → total, as the CSV export has them."""
    with run_export(user, "csv").file.open("rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode().removeprefix("\ufeff"))))
    return {int(row[0]): row[6] for row in rows[1:]}


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_reports_and_exports_read_the_replica_and_fall_back_when_it_stops(
    cluster, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPLICA_CHECK_SECONDS = 60  # the check made while it was up still holds when it stops
    user = UserFactory(role="staff")
    first, second = make_order("12.50"), make_order("20.00")
    cluster.copy_database(connections["default"].settings_dict, "shop")
    cluster.wait_replayed()
    # The primary moves on; the replica keeps the copy: what a read finds shows where it went.
    Order.objects.filter(pk=first.pk).update(total=Decimal("99.00"))

    source = reporting_db()
    assert source == ReadSource("replica", None)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    assert Order.objects.using(source.alias).get(pk=first.pk).total == Decimal("12.50")
    assert Order.objects.get(pk=first.pk).total == Decimal("99.00")
    assert csv_totals(user) == {first.number: "12.50", second.number: "20.00"}
    assert run_export(user, "xlsx").rows_total == 2  # a server-side cursor on the standby

    cluster.stop_replica()
    try:
        # Trusted from its last check, it fails the read, which runs again on the primary.
        total, source = read_reporting(
            lambda alias: Order.objects.using(alias).get(pk=first.pk).total
        )
        assert (total, source) == (Decimal("99.00"), ReadSource("default", NOT_ANSWERING))
        assert replica.replica_state().up is False  # remembered: no second try per report
        replica.forget()
        started = time.monotonic()
        source = reporting_db()  # checked again: refused at once
        assert time.monotonic() - started < 1.5
        assert source == ReadSource("default", NOT_ANSWERING)
        assert replica.replica_state() == ReplicaState(up=False, error="OperationalError")
        assert csv_totals(user) == {first.number: "99.00", second.number: "20.00"}
    finally:
        cluster.start_replica()
    replica.forget()
    assert reporting_db() == ReadSource("replica", None)  # back once it answers again


def test_a_replica_behind_the_bound_is_passed_over_until_it_catches_up(
    cluster, django_db_blocker, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    cluster.primary("CREATE TABLE IF NOT EXISTS seen (id int PRIMARY KEY)", dbname="shop")
    cluster.primary("TRUNCATE seen; INSERT INTO seen VALUES (1)", dbname="shop")
    cluster.wait_replayed()

    def seen():
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT array_agg(id ORDER BY id) FROM seen")
            return cursor.fetchone()[0]

    with django_db_blocker.unblock():
        with CaptureQueriesContext(connections["replica"]) as probes:
            assert reporting_db() == ReadSource("replica", None)
            assert reporting_db() == ReadSource("replica", None)
        checks = [query for query in probes.captured_queries if query["sql"] == LAG_SQL]
        assert len(checks) == 1  # one check per REPLICA_CHECK_SECONDS, not one per report
        assert seen() == [1]

        cluster.replica("SELECT pg_wal_replay_pause()")
        try:
            cluster.primary("INSERT INTO seen VALUES (2)", dbname="shop")
            cluster.wait_received_not_replayed()
            time.sleep(1.2)  # the last transaction it replayed is now over a second old
            replica.forget()
            source = reporting_db()
            assert source.alias == "default"
            assert source.note.startswith("Showing live data: the reporting replica is ")
            assert source.note.endswith(" s behind.")
            assert seen() == [1]  # it is indeed behind
        finally:
            cluster.replica("SELECT pg_wal_replay_resume()")
        cluster.wait_replayed()
        replica.forget()
        assert reporting_db() == ReadSource("replica", None)
        assert seen() == [1, 2]


def channel_net_sales(client) -> tuple[list[Decimal], str]:
    """Net sales per channel (online, in store, back office) today, as the By channel report's
    chart has them."""
    today = timezone.localdate().isoformat()
    response = client.get(reverse("reports:channels"), {"start": today, "end": today})
    assert response.status_code == 200
    html = response.content.decode()
    opening = '<script id="channel-chart" type="application/json">'
    start = html.index(opening) + len(opening)
    chart = json.loads(html[start : html.index("</script>", start)])
    return [Decimal(v) for v in chart["datasets"][0]["data"]], html


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_report_page_reads_the_replica_and_says_so_when_it_falls_back(cluster, client, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    client.force_login(UserFactory(role="staff"))
    shirt = VariantFactory(price=Decimal("25.00"), cost_price=Decimal("10.00"), stock=10)
    pay(order_of([(shirt, 2, "0")]))  # online, 50.00: on the replica's copy
    cluster.copy_database(connections["default"].settings_dict, "shop")
    cluster.wait_replayed()
    pay(order_of([(shirt, 1, "0")], channel="in_store"))  # 25.00: on the primary only

    figures, html = channel_net_sales(client)
    assert figures == [Decimal("50.00"), 0, 0]
    assert NOT_ANSWERING not in html

    cluster.stop_replica()
    try:
        replica.forget()
        figures, html = channel_net_sales(client)
        assert figures == [Decimal("50.00"), Decimal("25.00"), 0]
        assert NOT_ANSWERING in html
    finally:
        cluster.start_replica()
