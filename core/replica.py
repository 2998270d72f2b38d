"""Where reports and exports read: the reporting replica when it is healthy, else the primary.

With DATABASE_REPLICA_URL set, settings add a `replica` database alias (a Postgres streaming
replica of `default`). Reports and exports ask `reporting_db()` and read with
`.using(source.alias)` / `connections[source.alias]`: there is no database router, so every
other read and every write stays on the primary.

The replica is used only while it answers and is at most REPLICA_MAX_LAG_SECONDS behind;
otherwise the read goes to the primary and `note` says why, for the page to show. The check
(one short query) is remembered for REPLICA_CHECK_SECONDS in this process, so a report pays at
most one probe every few seconds, and a replica that is down costs one failed connection
(bounded by REPLICA_CONNECT_TIMEOUT) per period, never an error.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"

# Lag in seconds, 0 when caught up: a replica that has replayed everything it received is
# current however long ago its last transaction was (an idle primary sends nothing). A server
# that is not in recovery is a primary (a mirror, or a reader endpoint that points at one).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
END
"""


@dataclass(frozen=True)
class ReadSource:
    """The database alias to read from, and what the page should say about it (None: nothing
    to say, the figures are as fresh as the replica bound promises)."""

    alias: str
    note: str | None = None


@dataclass(frozen=True)
class ReplicaState:
    """The last check of the replica: up (answered), its lag in seconds (None: unknown)."""

    up: bool
    lag: float | None = None
    error: str = ""


_checked: dict[str, tuple[float, ReplicaState]] = {}
_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def _mirror_of(alias: str) -> str | None:
    """In tests, the alias a test-mirror replica stands for (it is that database)."""
    return connections.settings[alias].get("TEST", {}).get("MIRROR") or None


def _probe(alias: str) -> ReplicaState:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except Exception as exc:  # down, refused, timed out, a broken persistent connection
        logger.warning("The reporting replica (%s) did not answer: %s", alias, exc)
        connection.close()  # the next check reconnects instead of reusing a dead connection
        return ReplicaState(up=False, error=exc.__class__.__name__)
    return ReplicaState(up=True, lag=None if lag is None else max(0.0, float(lag)))


def replica_state(*, fresh: bool = False) -> ReplicaState | None:
    """The replica's state, checked at most every REPLICA_CHECK_SECONDS in this process
    (`fresh`: check now). None when no replica is configured."""
    if not replica_configured():
        return None
    now = time.monotonic()
    with _lock:
        cached = _checked.get(REPLICA_ALIAS)
    if cached and not fresh and now - cached[0] < settings.REPLICA_CHECK_SECONDS:
        return cached[1]
    state = _probe(REPLICA_ALIAS)
    with _lock:
        _checked[REPLICA_ALIAS] = (time.monotonic(), state)
    return state


def forget() -> None:
    """Drop the remembered check (tests; after changing the replica's settings)."""
    with _lock:
        _checked.clear()


def _behind(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def reporting_db() -> ReadSource:
    """Where a report or export reads: `replica` when configured, answering and at most
    REPLICA_MAX_LAG_SECONDS behind; else `default`, with a note saying why."""
    if not replica_configured():
        return ReadSource(DEFAULT_DB_ALIAS)
    mirror = _mirror_of(REPLICA_ALIAS)
    if mirror:
        return ReadSource(mirror)
    state = replica_state()
    if not state.up:
        return ReadSource(
            DEFAULT_DB_ALIAS,
            "Showing live data: the reporting replica is not answering.",
        )
    if state.lag is None:
        return ReadSource(
            DEFAULT_DB_ALIAS,
            "Showing live data: the reporting replica cannot tell how far behind it is.",
        )
    if state.lag > settings.REPLICA_MAX_LAG_SECONDS:
        return ReadSource(
            DEFAULT_DB_ALIAS,
            f"Showing live data: the reporting replica is {_behind(state.lag)} behind.",
        )
    return ReadSource(REPLICA_ALIAS)
