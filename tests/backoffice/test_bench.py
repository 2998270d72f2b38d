import json

import dj_database_url
import pytest
from django.urls import reverse

from devtools.benchmarking import (
    Context,
    IntakeProbe,
    Measurement,
    PageProbe,
    format_table,
    percentile,
    run_probes,
    write_json,
)
from devtools.management.commands.bench import database_url


def test_format_table_aligns_every_column():
    table = format_table(
        [
            Measurement("intake API", "n/a (HTTP 404)", budget="≥ 300 orders/s"),
            Measurement(
                "intake, running",
                "201",
                12.345,
                40.0,
                throughput=312.4,
                unit="orders/s",
                budget="≥ 300 orders/s",
                verdict="ok",
            ),
            Measurement(
                "order list", "200", 3.14159, 5.0, 4, budget="≤ 25 ms median", verdict="ok"
            ),
        ]
    )
    header, rule, *rows = table.splitlines()
    assert header.split()[:3] == ["probe", "status", "median"]
    assert set(rule) == {"-", " "}
    assert len(rows) == 3
    assert "n/a (HTTP 404)" in rows[0] and "312 orders/s" in rows[1] and "3.1" in rows[2]
    # Columns start at the same offset on every line.
    status_at = header.index("status")
    assert all(row[status_at - 2 : status_at] == "  " for row in rows)
    assert rows[0].index("n/a") == rows[2].index("200") == status_at


def test_percentile():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile(list(range(1, 101)), 95) == 95


@pytest.mark.django_db
def test_page_probe_measures_status_time_and_queries(staff_client):
    probe = PageProbe("health", lambda ctx, i: reverse("health"), budget_ms=10_000)
    result = probe.run(Context(client=staff_client, repeat=3, warmup=1))
    assert result.status in {"200", "503"}
    assert result.median_ms > 0 and result.p95_ms >= result.median_ms
    assert result.queries >= 1
    assert result.verdict in {"ok", "expected 200"}


def test_intake_probe_without_a_server_is_not_applicable():
    result = IntakeProbe().run(Context())
    assert result.status.startswith("n/a") and result.throughput is None


def test_a_failing_probe_is_reported_and_the_rest_still_run(tmp_path):
    class Broken:
        name = "broken"

        def run(self, ctx):
            raise RuntimeError("boom")

    results = run_probes([Broken(), IntakeProbe()], Context())
    assert results[0].status == "error: RuntimeError: boom"
    assert results[1].status.startswith("n/a")
    write_json(tmp_path / "latest.json", results, orders=0)
    document = json.loads((tmp_path / "latest.json").read_text())
    assert [p["probe"] for p in document["probes"]] == ["broken", IntakeProbe.name]


def test_bench_database_url_keeps_server_and_options():
    base = {
        "USER": "postgres",
        "PASSWORD": "p@ss word",
        "HOST": "/tmp/pg sockets",
        "PORT": 5433,
        # Django's own options (DATABASE_PREPARE_THRESHOLD) are not libpq's: left out.
        "OPTIONS": {"sslmode": "disable", "server_side_binding": True, "prepare_threshold": 5},
    }
    url = database_url(base, "backoffice_bench")
    assert "server_side_binding" not in url and "prepare_threshold" not in url
    parsed = dj_database_url.parse(url)
    assert parsed["NAME"] == "backoffice_bench"
    assert (parsed["USER"], parsed["PASSWORD"]) == ("postgres", "p@ss word")
    assert (parsed["HOST"], parsed["PORT"]) == ("/tmp/pg sockets", 5433)
    assert parsed["OPTIONS"] == {"sslmode": "disable"}


@pytest.mark.django_db
def test_order_entry_probes_measure_each_step_and_placing(staff_client):
    from devtools.benchmarking import PROBES, EntryPlaceProbe
    from entry.models import Draft
    from orders.models import Order
    from tests.entry.factories import entry_shop

    entry_shop()
    ctx = Context(client=staff_client, repeat=3, warmup=1)
    probes = [p for p in PROBES if p.name.startswith("order entry")]
    assert len(probes) == 7 and isinstance(probes[-1], EntryPlaceProbe)
    results = run_probes(probes, ctx)
    assert [r.status for r in results] == ["200"] * 6 + ["302×3"], results
    assert all(r.median_ms > 0 and r.queries for r in results)
    assert Order.objects.filter(channel="back_office").count() == 4  # 3 timed, 1 counted
    assert not Draft.objects.exists()
