"""Real processes for the fault tests and the bench: a private redis-server, Celery worker and
beat processes, and an SMTP server (aiosmtpd, in this process) that records what it accepted.

Everything listens on a spare port of 127.0.0.1 and is stopped by its owner, so a test or a
bench run disturbs nothing else on the machine (not the shared Redis, not another worker).
"""

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent


class HarnessError(RuntimeError):
    """A process of the harness did not start, or a wait ran out."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, poll: float = 0.05):
    """Poll `condition` until it is true; HarnessError naming `what` when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


def _stop(process: subprocess.Popen, *, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of its own on a spare port: no persistence, not daemonized. It can be
    stopped and started again on the same port (a broker outage)."""

    def __init__(self, *, directory: Path, port: int | None = None):
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            raise HarnessError("redis-server is not on PATH")
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 (redis-server, our arguments)
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise HarnessError(
                f"redis-server on port {self.port} exited ({self.process.returncode})"
            )
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> "RedisServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    message: Message
    at: float  # time.monotonic() when the server had the message

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class SmtpRecorder:
    """An aiosmtpd DATA handler that keeps every message it accepts, with its arrival time.

    `refuse`: answer that many DATA commands 451 first (an SMTP outage). `delay`: seconds
    between having a message and answering 250, the window in which a client that dies has
    delivered an email it will never know about.
    """

    def __init__(self, *, refuse: int = 0, delay: float = 0.0):
        self.refuse = refuse
        self.delay = delay
        # Called (in the server's thread) after a message is kept and before the 250 answer.
        self.on_accept: Callable[[], None] | None = None
        self.refused = 0
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refuse > 0:
                self.refuse -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.arrivals.append(Arrival(message_from_bytes(envelope.content), time.monotonic()))
        if self.on_accept is not None:
            await asyncio.to_thread(self.on_accept)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def __len__(self) -> int:
        return len(self.arrivals)

    def copies(self) -> Counter:
        """Message-ID -> how many copies arrived."""
        with self._lock:
            return Counter(a.message_id for a in self.arrivals)

    def first_arrival(self) -> dict[str, float]:
        with self._lock:
            first: dict[str, float] = {}
            for a in self.arrivals:
                first.setdefault(a.message_id, a.at)
            return first

    def message_ids_by_recipient(self) -> dict[str, set[str]]:
        with self._lock:
            found: dict[str, set[str]] = {}
            for a in self.arrivals:
                found.setdefault(a.message["To"], set()).add(a.message_id)
            return found


@contextmanager
def smtp_server(recorder: SmtpRecorder) -> Iterator[int]:
    """An SMTP server on a spare port of 127.0.0.1, answering with `recorder`; yields the port."""
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every command at INFO: thousands of lines for a bench run.
    log = logging.getLogger("mail.log")
    level = log.level
    log.setLevel(logging.WARNING)
    controller = Controller(
        recorder, hostname="127.0.0.1", port=free_port(), server_hostname="localhost"
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
        log.setLevel(level)


# --- Celery --------------------------------------------------------------------------------


def process_env(*, database_url: str, broker_url: str, smtp_port: int, **settings) -> dict:
    """The environment of a worker or beat of the harness: production settings (with no
    secrets needed), the given database, broker and SMTP server, and `settings` as
    environment variables (NOTIFICATIONS_SWEEP_INTERVAL="1", …)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="backoffice.settings",
        BACKOFFICE_TESTING="1",
        DEBUG="0",
        DATABASE_URL=database_url,
        REDIS_URL=broker_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        **{name: str(value) for name, value in settings.items()},
    )
    return env


class CeleryProcess:
    """`celery -A backoffice worker|beat …` as a child process, started and stopped by its
    owner; `kill()` sends SIGKILL (a crash: no shutdown, no acknowledgement)."""

    def __init__(self, kind: str, *, env: dict, args: tuple[str, ...] = (), log: Path | None):
        self.command = [str(Path(sys.executable).with_name("celery")), "-A", "backoffice"]
        self.command += [kind, "--loglevel=WARNING", *args]
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> "CeleryProcess":
        output = None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            output = self.log.open("a")
        try:
            self.process = subprocess.Popen(  # noqa: S603 (our celery, our arguments)
                self.command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        finally:
            if output is not None:
                output.close()
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, timeout=20)


def worker(env: dict, *, log: Path | None = None, solo: bool = True) -> CeleryProcess:
    """A worker; `solo`: one process that sends one email at a time (what a SIGKILL takes)."""
    args = ("--pool=solo",) if solo else ()
    args += ("--without-gossip", "--without-mingle", "--without-heartbeat")
    return CeleryProcess("worker", env=env, args=args, log=log)


def beat(env: dict, *, schedule: Path, log: Path | None = None) -> CeleryProcess:
    """Beat with the project's schedule (the outbox sweep), its state file at `schedule`."""
    return CeleryProcess("beat", env=env, args=("--schedule", str(schedule)), log=log)


@contextmanager
def handing_off_to(broker_url: str) -> Iterator[None]:
    """This process's outbox hand-off (`deliver.delay`) publishes to `broker_url` for a while,
    through a connection of its own each time (so a broker restart leaves nothing stale), and
    never runs the task in-process (even where CELERY_TASK_ALWAYS_EAGER is on)."""
    from backoffice.celery import app
    from notifications import tasks

    def delay(message_pk: int):
        with app.connection_for_write(broker_url) as conn:
            return tasks.deliver.apply_async((message_pk,), connection=conn)

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with mock.patch.object(tasks.deliver, "delay", delay):
            yield
    finally:
        app.conf.task_always_eager = eager
