import json
import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.db.models import ProtectedError, RestrictedError
from django.test import Client
from django.test.utils import override_settings
from psycopg import sql

from backoffice.roles import user_create_with_role
from devtools import benchmarking
from orders.actors import Actor
from orders.models import ApiKey, Channel, Order
from orders.services import apikey_create


class Command(BaseCommand):
    help = (
        "Measure the budgets of PRODUCT.md against a seeded database of its own "
        "(<database>_bench): intake API throughput through gunicorn, page server times and "
        "SQL queries per page, and shipped emails' time from commit to an SMTP server through "
        "a real worker. Prints a table and writes .data/bench/latest.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100_000, help="Orders in the bench DB.")
        parser.add_argument("--requests", type=int, default=2_000, help="Intake API requests.")
        parser.add_argument("--concurrency", type=int, default=8, help="Intake API threads.")
        parser.add_argument(
            "--notifications", type=int, default=500, help="Gateway notifications to post."
        )
        parser.add_argument(
            "--emails",
            type=int,
            default=250,
            help="Shipments whose emails are timed from commit to the SMTP server (at 50/s).",
        )
        parser.add_argument(
            "--purchase-orders",
            type=int,
            default=1_000,
            help="Drop-ship orders whose POs are created, sent and emailed through a worker.",
        )
        parser.add_argument("--repeat", type=int, default=50, help="Timed requests per page.")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Use the bench database as it is, even if its order count differs.",
        )

    def handle(
        self,
        *args,
        orders,
        requests,
        concurrency,
        repeat,
        keep,
        notifications,
        emails,
        purchase_orders,
        **options,
    ):
        if settings.DEBUG and sys.argv[1:2] == ["bench"]:
            # Measure as production runs. With DEBUG on (as `make` sets for local runs) Django
            # built its template engine without the cached loader, and turning DEBUG off now
            # would not rebuild it: start again in a fresh process with DEBUG off.
            env = {**os.environ, "DEBUG": "0", "BACKOFFICE_TESTING": "1"}
            self.stdout.write("Restarting with DEBUG off to measure as production runs…")
            self.stdout.flush()
            os.execve(sys.executable, [sys.executable, *sys.argv], env)  # noqa: S606
        base = settings.DATABASES["default"]
        name = f"{base['NAME']}_bench"
        url = database_url(base, name)
        env = benchmarking.child_env(url)
        out_dir = Path(settings.BASE_DIR) / ".data" / "bench"

        seed_info = self._prepare(base, name, env, orders=orders, keep=keep, out_dir=out_dir)
        with database(name):
            count = Order.objects.count()
            ctx = benchmarking.Context(
                repeat=repeat,
                requests=requests,
                concurrency=concurrency,
                notifications=notifications,
                database_url=url,
                emails=emails,
                purchase_orders=purchase_orders,
                work_dir=out_dir,
            )
            results = self._measure(ctx, env, out_dir)
        self.stdout.write("")
        self.stdout.write(f"Bench database {name}: {count:,} orders. {seed_info['text']}")
        self.stdout.write("")
        self.stdout.write(benchmarking.format_table(results))
        path = out_dir / "latest.json"
        benchmarking.write_json(
            path,
            results,
            generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            database=name,
            orders=count,
            seed=seed_info,
            requests=requests,
            concurrency=concurrency,
            repeat=repeat,
        )
        self.stdout.write(f"\nWritten to {path.relative_to(settings.BASE_DIR)}.")

    # --- the bench database ----------------------------------------------------------------

    def _prepare(self, base, name, env, *, orders, keep, out_dir) -> dict:
        """Create, migrate and seed the bench database as needed; returns the seed's timing."""
        exists = _admin(base, "SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not exists:
            self.stdout.write(f"Creating database {name}…")
            _admin(base, f'CREATE DATABASE "{name}"')
        self._child(env, "migrate", "--no-input", "-v", "0")
        count = _count(base, name)
        record = out_dir / f"seed-{name}.json"
        if count == orders or (keep and count):
            previous = json.loads(record.read_text()) if record.exists() else {}
            if previous.get("orders") == count:
                return {**previous, "reused": True, "text": _seed_text(previous, reused=True)}
            return {"reused": True, "text": "Reused (seeded earlier; timing not recorded)."}
        if count:
            self.stdout.write(f"{name} has {count:,} orders, not {orders:,}: re-seeding it…")
            _admin(base, f'DROP DATABASE "{name}" WITH (FORCE)')
            _admin(base, f'CREATE DATABASE "{name}"')
            self._child(env, "migrate", "--no-input", "-v", "0")
        started = time.monotonic()
        self._child(env, "seed", "--orders", str(orders))
        seconds = time.monotonic() - started
        rows = _count(base, name, tables=("orders_order", "orders_orderline", "orders_orderevent"))
        info = {
            "database": name,
            "orders": orders,
            "rows": rows,
            "seconds": round(seconds, 1),
            "rows_per_second": round(rows / seconds),
            "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(info, indent=2) + "\n")
        return {**info, "reused": False, "text": _seed_text(info, reused=False)}

    def _child(self, env, *command):
        manage = Path(settings.BASE_DIR) / "manage.py"
        result = subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, str(manage), *command], env=env, cwd=settings.BASE_DIR
        )
        if result.returncode:
            raise CommandError(f"`manage.py {' '.join(command)}` failed ({result.returncode}).")

    # --- measuring -------------------------------------------------------------------------

    def _measure(self, ctx, env, out_dir) -> list:
        ctx.order_numbers = _sample_numbers()
        ctx.intake_lines = _intake_lines()
        user = user_create_with_role(
            username="bench-staff", password=secrets.token_urlsafe(16), role="staff"
        )
        api_key, ctx.intake_key = apikey_create(
            name="Bench", channel=Channel.ONLINE, actor=Actor.system("Bench")
        )
        last_id = Order.objects.order_by("-id").values_list("id", flat=True).first() or 0

        def report(result):
            self.stdout.write(f"  {result.probe}: {result.status}")

        in_process = [p for p in benchmarking.PROBES if not getattr(p, "needs_server", False)]
        served = [p for p in benchmarking.PROBES if getattr(p, "needs_server", False)]
        self.stdout.write("Measuring in-process: shipped emails (own worker), pages (warm)…")
        # Production-like: no query log (DEBUG off); the test client's host is allowed and its
        # requests count as HTTPS, so SECURE_SSL_REDIRECT does not answer them with a redirect.
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            ctx.client, ctx.https = Client(raise_request_exception=False), True
            ctx.client.force_login(user)
            results = benchmarking.run_probes(in_process, ctx, on_result=report)
        self.stdout.write(f"Measuring the intake API through gunicorn ({ctx.requests:,} orders)…")
        log = out_dir / "gunicorn.log"
        try:
            with benchmarking.gunicorn(env=env, cwd=Path(settings.BASE_DIR), log=log) as url:
                ctx.intake_url = url
                results += benchmarking.run_probes(served, ctx, on_result=report)
        except benchmarking.ServerError as exc:
            results += [benchmarking.Measurement(p.name, f"n/a ({exc})") for p in served]
        finally:
            # The bench database keeps exactly the seeded orders, so the next run reuses it.
            try:
                Order.objects.filter(id__gt=last_id).delete()
            except (ProtectedError, RestrictedError) as exc:
                self.stderr.write(f"Could not remove the intake's orders ({exc}); re-seed.")
            ApiKey.objects.filter(pk=api_key.pk).delete()
        order = {p.name: i for i, p in enumerate(benchmarking.PROBES)}
        return sorted(results, key=lambda m: order.get(m.probe, len(order)))


# OPTIONS that are Django's (backoffice.settings, DATABASE_PREPARE_THRESHOLD), not libpq's:
# a child process sets them again from its own environment.
_DJANGO_OPTIONS = {"server_side_binding", "prepare_threshold"}


def _libpq_options(base: dict) -> dict:
    return {
        k: v
        for k, v in (base.get("OPTIONS") or {}).items()
        if k not in _DJANGO_OPTIONS and isinstance(v, str | int)
    }


def database_url(base: dict, name: str) -> str:
    """A DATABASE_URL for database `name` on the server (and with the options) of `base`."""
    user = quote(base.get("USER") or "", safe="")
    password = quote(base.get("PASSWORD") or "", safe="")
    auth = f"{user}{':' + password if password else ''}@" if user else ""
    host = quote(str(base.get("HOST") or ""), safe="")
    port = f":{base['PORT']}" if base.get("PORT") else ""
    options = _libpq_options(base)
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{auth}{host}{port}/{quote(name, safe='')}{query}"


def _connect(base: dict, dbname: str, **kwargs):
    params = {
        "dbname": dbname,
        "user": base.get("USER") or None,
        "password": base.get("PASSWORD") or None,
        "host": base.get("HOST") or None,
        "port": base.get("PORT") or None,
    }
    options = _libpq_options(base)
    return psycopg.connect(**{k: v for k, v in params.items() if v}, **options, **kwargs)


def _admin(base: dict, sql: str, params=None) -> tuple | None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    with _connect(base, "postgres", autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def _count(base: dict, name: str, tables=("orders_order",)) -> int:
    with _connect(base, name) as conn:
        query = sql.SQL("SELECT count(*) FROM {}")
        return sum(conn.execute(query.format(sql.Identifier(t))).fetchone()[0] for t in tables)


def _seed_text(info: dict, *, reused: bool) -> str:
    timing = (
        f"{info['orders']:,} orders ({info['rows']:,} rows with lines and events) in "
        f"{info['seconds']:,.1f} s, {info['rows_per_second']:,} rows/s"
    )
    return (
        f"Seed: reused; it took {timing} on {info['seeded_at']}." if reused else f"Seed: {timing}."
    )


@contextmanager
def database(name: str):
    """Point the default connection at database `name` for a while."""
    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    conn.close()
    conn.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict["NAME"] = original
        ContentType.objects.clear_cache()


def _sample_numbers(count: int = 200) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM orders_order ORDER BY random() LIMIT %s", [count])
        return [row[0] for row in cursor.fetchall()]


def _intake_lines() -> list[tuple[str, str]]:
    from catalog.models import Variant

    rows = Variant.objects.filter(product__is_shippable=True, product__is_active=True).order_by(
        "id"
    )[:100]
    return [(v.sku, f"{v.price:.2f}") for v in rows]
