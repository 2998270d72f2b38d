"""Where reports and exports read: the reporting replica when it is healthy, else the primary.

With DATABASE_REPLICA_URL set, settings add a `replica` database alias (a Postgres streaming
replica of `default`). Reports and exports ask `reporting_db()` and read with
`.using(source.alias)` / `connections[source.alias]`: there is no database router, so every
other read and every write stays on the primary.

The replica is used only while it answers and is at most REPLICA_MAX_LAG_SECONDS behind;
otherwise the read goes to the primary and `note` says why, for the page to show.
`read_reporting(read)` also covers a replica that drops between its check and the read: the
read runs again on the primary. The check
(one short query) is remembered for REPLICA_CHECK_SECONDS in this process, so a report pays at
most one probe every few seconds, and a replica that is down costs one failed connection
(bounded by REPLICA_CONNECT_TIMEOUT) per period, never an error.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

REPLICA_ALIAS = "replica"
NOT_ANSWERING = "Showing live data: the reporting replica is not answering."

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
    """A replica alias that is a database of its own (not a test mirror of the primary)."""
    return REPLICA_ALIAS in connections.settings and not _mirror_of(REPLICA_ALIAS)


def _mirror_of(alias: str) -> str | None:
    """In tests, the alias a test-mirror replica stands for: the same database, so reads go
    through that alias (and see the test's own transaction)."""
    mirror = connections.settings[alias].get("TEST", {}).get("MIRROR")
    if not mirror:
        return None
    # Django's test setup points the mirror's connection at the mirrored test database.
    ours, theirs = connections[alias].settings_dict, connections[mirror].settings_dict
    same = all(ours.get(key) == theirs.get(key) for key in ("HOST", "PORT", "NAME"))
    return mirror if same else None


def _probe(alias: str) -> ReplicaState:
    """One short query; a replica that accepts connections but hangs is cut off by a
    statement timeout (as long as the connection timeout), set for this query only."""
    connection = connections[alias]
    timeout_ms = int(settings.REPLICA_CONNECT_TIMEOUT * 1000)
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if not connection.savepoint_ids:  # our own transaction, not a caller's
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)]
                )
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except Exception as exc:  # down, refused, timed out, a broken persistent connection
        logger.warning("The reporting replica (%s) did not answer: %s", alias, exc)
        connection.close()  # the next check reconnects instead of reusing a dead connection
        return ReplicaState(up=False, error=exc.__class__.__name__)
    return ReplicaState(up=True, lag=None if lag is None else max(0.0, float(lag)))


def _remember(state: ReplicaState) -> None:
    with _lock:
        _checked[REPLICA_ALIAS] = (time.monotonic(), state)


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
    _remember(state)
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
    if not replica_configured():  # none, or in tests the primary itself
        return ReadSource(DEFAULT_DB_ALIAS)
    state = replica_state()
    if not state.up:
        return ReadSource(DEFAULT_DB_ALIAS, NOT_ANSWERING)
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


def read_reporting(read: Callable[[str], T]) -> tuple[T, ReadSource]:
    """`read(alias)` where reports read, and where that was. If the replica fails during the
    read (it went down since its last check), it is remembered as down and the read runs
    again on the primary, so a report never fails over it. `read` must evaluate its queries
    (a list, a dict, numbers), not return a lazy queryset."""
    source = reporting_db()
    if source.alias != REPLICA_ALIAS:
        return read(source.alias), source
    try:
        return read(source.alias), source
    except (OperationalError, InterfaceError) as exc:  # lost, refused, cancelled by replay
        logger.warning("The reporting replica failed during a read: %s", exc)
        connections[REPLICA_ALIAS].close()
        _remember(ReplicaState(up=False, error=exc.__class__.__name__))
        fallback = ReadSource(DEFAULT_DB_ALIAS, NOT_ANSWERING)
        return read(fallback.alias), fallback
