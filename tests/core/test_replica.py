"""Reports and exports read from the reporting replica (core.replica.reporting_db) while it is
healthy, and from the primary, with a note, when it lags or is down.

A real primary and streaming replica: test_replica_cluster.py."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import connections
from django.urls import reverse

from core import replica
from core.replica import NOT_ANSWERING, ReadSource, ReplicaState, read_reporting, reporting_db
from tests.core.pg_cluster import database_alias, spare_port


@pytest.fixture(autouse=True)
def fresh_checks():
    replica.forget()
    yield
    replica.forget()


@pytest.fixture
def unblocked(django_db_blocker):
    with django_db_blocker.unblock():
        yield


def test_without_a_replica_reports_read_the_primary_and_say_nothing(monkeypatch):
    monkeypatch.delitem(connections.settings, "replica", raising=False)
    assert reporting_db() == ReadSource("default", None)


def test_a_replica_that_is_not_listening_falls_back_fast_with_a_note(unblocked, monkeypatch):
    probes = []
    real_probe = replica._probe
    monkeypatch.setattr(replica, "_probe", lambda alias: probes.append(alias) or real_probe(alias))
    with database_alias("replica", port=spare_port(), name="nothing"):
        started = time.monotonic()
        source = reporting_db()
        elapsed = time.monotonic() - started
        assert source == ReadSource(
            "default", "Showing live data: the reporting replica is not answering."
        )
        assert elapsed < 1.5
        # Remembered for REPLICA_CHECK_SECONDS: the next report pays no second attempt.
        assert reporting_db() == source
        assert probes == ["replica"]
        assert replica.replica_state() == ReplicaState(up=False, error="OperationalError")


def test_a_replica_that_hangs_is_given_up_after_the_connect_timeout(unblocked, settings):
    """It accepts the connection and never answers: REPLICA_CONNECT_TIMEOUT bounds the wait."""
    settings.REPLICA_CONNECT_TIMEOUT = 2
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with database_alias("replica", port=silent.getsockname()[1], name="reports"):
            started = time.monotonic()
            assert reporting_db() == ReadSource("default", NOT_ANSWERING)
            assert time.monotonic() - started < 4


def test_a_read_the_replica_fails_runs_again_on_the_primary(unblocked, monkeypatch):
    """The replica answered its last check and died since: the report still gets its figures."""
    monkeypatch.setattr(replica, "_probe", lambda alias: ReplicaState(up=True, lag=0.0))

    def database_name(alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT current_database()")
            return cursor.fetchone()[0]

    with database_alias("replica", port=spare_port(), name="reports"):
        assert reporting_db() == ReadSource("replica", None)
        name, source = read_reporting(database_name)
        assert (name, source) == (database_name("default"), ReadSource("default", NOT_ANSWERING))
        # Remembered as down: the next report goes straight to the primary.
        assert replica.replica_state() == ReplicaState(up=False, error="OperationalError")
        assert reporting_db() == ReadSource("default", NOT_ANSWERING)
    # Without a replica, the read simply runs on the primary.
    assert read_reporting(database_name) == (database_name("default"), ReadSource("default"))


@pytest.mark.parametrize(
    ("lag", "note"),
    [
        (None, "Showing live data: the reporting replica cannot tell how far behind it is."),
        (45.0, "Showing live data: the reporting replica is 45 s behind."),
        (400.0, "Showing live data: the reporting replica is 7 min behind."),
        (3 * 3600.0, "Showing live data: the reporting replica is 3 h behind."),
    ],
)
def test_a_lagging_replica_is_named_with_how_far_behind_it_is(monkeypatch, settings, lag, note):
    settings.REPLICA_MAX_LAG_SECONDS = 30
    monkeypatch.setattr(replica, "_probe", lambda alias: ReplicaState(up=True, lag=lag))
    with database_alias("replica", port=spare_port(), name="reports"):
        assert reporting_db() == ReadSource("default", note)


def test_a_replica_within_the_bound_is_used(monkeypatch, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 30
    monkeypatch.setattr(replica, "_probe", lambda alias: ReplicaState(up=True, lag=30.0))
    with database_alias("replica", port=spare_port(), name="reports"):
        assert reporting_db() == ReadSource("replica", None)


def test_a_test_mirror_reads_the_database_it_mirrors(monkeypatch):
    """DATABASE_REPLICA_URL set for a test run: the replica alias is the test database."""
    monkeypatch.setattr(replica, "_probe", lambda alias: pytest.fail("a mirror is not probed"))
    default = connections["default"].settings_dict
    same = {"host": default["HOST"], "port": default["PORT"], "name": default["NAME"]}
    with database_alias("replica", **same, mirror="default"):
        assert reporting_db() == ReadSource("default", None)
    # Marked as a mirror but another server (a test's own replica): a replica like any other.
    monkeypatch.setattr(replica, "_probe", lambda alias: ReplicaState(up=True, lag=0.0))
    with database_alias("replica", port=spare_port(), name="reports", mirror="default"):
        assert reporting_db() == ReadSource("replica", None)


def settings_with(**env) -> dict:
    """backoffice.settings' DATABASES as a fresh process sees them with this environment."""
    code = (
        "import json, backoffice.settings as s; "
        "print(json.dumps({k: {'OPTIONS': v.get('OPTIONS'), 'TEST': v.get('TEST'), "
        "'PORT': v['PORT'], 'NAME': v['NAME'], 'NO_CURSORS': v.get('DISABLE_SERVER_SIDE_CURSORS'), "
        "'CHECKS': v.get('CONN_HEALTH_CHECKS')} "
        "for k, v in s.DATABASES.items()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout)


def test_database_replica_url_adds_the_replica_alias():
    url = "postgres://reader@replica.internal:5433/shop?sslmode=require"
    databases = settings_with(DATABASE_REPLICA_URL=url, BACKOFFICE_TESTING="0")
    assert databases["replica"]["PORT"] == 5433 and databases["replica"]["NAME"] == "shop"
    assert databases["replica"]["OPTIONS"] == {
        "connect_timeout": 2,
        "sslmode": "require",
        # As the primary's (backoffice.settings, DATABASE_PREPARE_THRESHOLD).
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    assert databases["replica"]["TEST"] is None
    assert databases["replica"]["NO_CURSORS"] is False
    assert databases["replica"]["CHECKS"] is True  # a dropped kept connection is replaced
    pooled = settings_with(DATABASE_REPLICA_URL=url, REPLICA_DISABLE_SERVER_SIDE_CURSORS="1")
    assert pooled["replica"]["NO_CURSORS"] is True
    # In the test run, the replica alias is the test database itself.
    testing = settings_with(DATABASE_REPLICA_URL=url, BACKOFFICE_TESTING="1")
    assert testing["replica"]["TEST"] == {"MIRROR": "default"}
    assert "replica" not in settings_with(DATABASE_REPLICA_URL="")
    with pytest.raises(RuntimeError, match="DATABASE_REPLICA_URL must be a postgres"):
        settings_with(DATABASE_REPLICA_URL="mysql://x@y/z")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "said"),
    [
        (ReplicaState(up=True, lag=3.2), "ok (3 s behind)"),
        (ReplicaState(up=True, lag=900.0), "error: 900 s behind (reports read the primary)"),
        (ReplicaState(up=True, lag=None), "error: cannot tell its lag (reports read the primary)"),
        (
            ReplicaState(up=False, error="OperationalError"),
            "error: not answering: OperationalError (reports read the primary)",
        ),
    ],
)
def test_health_says_how_the_replica_is_without_failing_on_it(client, monkeypatch, state, said):
    monkeypatch.setattr(replica, "_probe", lambda alias: state)
    with database_alias("replica", port=spare_port(), name="reports"):
        response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "replica": said},
    }


def test_statements_are_prepared_after_the_threshold_unless_turned_off():
    assert settings_with()["default"]["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    assert (
        settings_with(DATABASE_PREPARE_THRESHOLD="0")["default"]["OPTIONS"]["prepare_threshold"]
        == 0
    )
    # Behind a transaction-pooling PgBouncer older than 1.21: Django's default binding.
    assert not settings_with(DATABASE_PREPARE_THRESHOLD="off")["default"]["OPTIONS"]


def test_a_threshold_that_is_not_a_number_is_refused_by_name():
    code = "import backoffice.settings"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DEBUG": "1", "DATABASE_PREPARE_THRESHOLD": "often"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be a whole number or off, not 'often'" in done.stderr
