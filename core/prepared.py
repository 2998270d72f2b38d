"""Server-side prepared statements for the hot paths (an order's fraud check, the reports'
upkeep on each payment): planned once per connection instead of on every call.

The ORM's statements are prepared once a connection has run one DATABASE_PREPARE_THRESHOLD
times (backoffice.settings); these are prepared from their first run, and also with the
threshold "off" (Django's default, `prepare_threshold` None, under which `execute(...,
prepare=True)` alone does nothing): the threshold is set to 0 around them. Behind a
transaction-pooling PgBouncer this needs PgBouncer 1.21+ with `max_prepared_statements`
(README, "Scaling out").
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def prepared_cursor() -> Iterator[psycopg.Cursor]:
    """A psycopg cursor (server-side binding) on Django's connection, inside whatever
    transaction is open; `cursor.execute(sql, params, prepare=True)` prepares `sql` the first
    time this connection runs it and reuses the plan afterwards."""
    connection.ensure_connection()
    raw = connection.connection
    threshold, raw.prepare_threshold = raw.prepare_threshold, 0
    try:
        with psycopg.Cursor(raw) as cursor:
            yield cursor
    finally:
        raw.prepare_threshold = threshold


@contextmanager
def custom_plans() -> Iterator[None]:
    """Inside the block, no statement is prepared: each is planned for its own values.

    A statement prepared after DATABASE_PREPARE_THRESHOLD runs may be given Postgres's
    *generic* plan, made once without the values. That is right for the lookups of one order
    or one key, and wrong for a list filtered or searched on values whose selectivity differs
    by orders of magnitude: measured at 1,000,000 orders, a customer-name search went from 27
    to 68 ms and a search for a word of the name from 21 to 141 ms, the high-risk filter from
    27 to 46 ms. psycopg's threshold is turned off for the block (no round trip, no query):
    its statements go unnamed, parsed and planned with their values, as before preparing."""
    connection.ensure_connection()
    raw = connection.connection
    threshold, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


def planned_for_values(view: Callable) -> Callable:
    """A view decorator for lists and searches: the view runs in custom_plans()."""

    @functools.wraps(view)
    def planned(request, *args, **kwargs):
        with custom_plans():
            return view(request, *args, **kwargs)

    return planned
