"""A throwaway Postgres primary and streaming replica for tests, made with this machine's
PostgreSQL binaries (initdb, pg_basebackup -R, pg_ctl) on spare ports under a temporary folder.

The server binaries refuse to run as root: as root they run as the `postgres` user (runuser).
"""

import contextlib
import copy
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from django.db import connections

BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "pg_restore", "postgres")


def missing_binaries() -> str:
    """Why the cluster cannot be made here ("" when it can)."""
    absent = [name for name in NEEDED if not (BIN / name).exists()]
    if absent:
        return f"PostgreSQL server binaries not found in {BIN}: {', '.join(absent)}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
        if not shutil.which("runuser"):
            return "running as root without runuser to run the server as postgres"
    return ""


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A primary and its streaming replica. `start()` makes both; `stop()` removes all."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="bo-replica-"))
        self.primary_port = spare_port()
        self.replica_port = spare_port()
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)

    # -- processes ---------------------------------------------------------------------------
    def run(self, name: str, *args: str, timeout: float = 60) -> str:
        command = [str(BIN / name), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if done.returncode:
            raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr or done.stdout}")
        return done.stdout

    def _server_options(self, port: int) -> str:
        return (
            f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c shared_buffers=16MB -c max_connections=30 "
            "-c wal_receiver_status_interval=1 -c logging_collector=off"
        )

    def start(self) -> "Cluster":
        self.run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        self.start_server(self.primary_dir, self.primary_port)
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port),
                 "-U", "postgres", "-D", str(self.replica_dir), "-R", "-X", "stream",
                 "-c", "fast", "--no-sync")  # fmt: skip
        self.start_replica()
        return self

    def start_server(self, folder: Path, port: int) -> None:
        self.run("pg_ctl", "-D", str(folder), "-l", str(folder / "server.log"), "-w",
                 "-o", self._server_options(port), "start")  # fmt: skip

    def start_replica(self) -> None:
        self.start_server(self.replica_dir, self.replica_port)

    def stop_replica(self) -> None:
        self.run("pg_ctl", "-D", str(self.replica_dir), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        for folder in (self.replica_dir, self.primary_dir):
            if (folder / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    self.run("pg_ctl", "-D", str(folder), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- SQL ---------------------------------------------------------------------------------
    def connect(self, port: int, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname=dbname, autocommit=True
        )

    def primary(self, sql: str, params=(), dbname: str = "postgres"):
        with self.connect(self.primary_port, dbname) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def replica(self, sql: str, params=(), dbname: str = "postgres"):
        with self.connect(self.replica_port, dbname) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def wait_replayed(self, timeout: float = 10) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        (target,) = self.primary("SELECT pg_current_wal_lsn()")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ((done,),) = self.replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if done:
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")

    def wait_received_not_replayed(self, timeout: float = 10) -> None:
        """Until the (paused) replica has received WAL it has not replayed."""
        deadline = time.monotonic() + timeout
        sql = "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"
        while time.monotonic() < deadline:
            if self.replica(sql)[0][0]:
                return
            time.sleep(0.05)
        raise AssertionError("the replica never received the primary's new WAL")

    def copy_database(self, source_dsn: dict, name: str) -> None:
        """A copy (schema and rows) of a database of another server, restored into the
        primary's database `name` (replacing what an earlier copy put there)."""
        dump = subprocess.run(
            [str(BIN / "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             "-h", source_dsn["HOST"] or "127.0.0.1", "-p", str(source_dsn["PORT"] or 5432),
             "-U", source_dsn["USER"] or "postgres", source_dsn["NAME"]],
            capture_output=True, check=True, timeout=60,
            env={**os.environ, "PGPASSWORD": source_dsn.get("PASSWORD") or ""},
        ).stdout  # fmt: skip
        subprocess.run(
            [str(BIN / "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
             "--clean", "--if-exists",
             "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "-d", name],
            input=dump, capture_output=True, check=True, timeout=60,
        )  # fmt: skip


@contextlib.contextmanager
def database_alias(alias: str, *, port: int, name: str, host="127.0.0.1", mirror=None):
    """A Django database alias for the duration: the default's settings, another server
    (`mirror`: marked as a test mirror of that alias)."""
    entry = copy.deepcopy(connections.settings["default"])
    entry.update(HOST=host, PORT=port, NAME=name, USER="postgres", PASSWORD="")
    entry.update(TEST={"MIRROR": mirror}, CONN_MAX_AGE=60, OPTIONS={"connect_timeout": 2})
    entry = connections.configure_settings({"default": {"ENGINE": "x"}, alias: entry})[alias]
    before = connections.settings.get(alias)  # DATABASE_REPLICA_URL's mirror, if set
    _drop(alias)
    connections.settings[alias] = entry
    try:
        yield alias
    finally:
        _drop(alias)
        if before is not None:
            connections.settings[alias] = before


def _drop(alias: str) -> None:
    if alias in connections.settings:
        with contextlib.suppress(Exception):
            connections[alias].close()
        with contextlib.suppress(AttributeError):
            del connections[alias]
    connections.settings.pop(alias, None)
