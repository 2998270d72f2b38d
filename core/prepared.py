"""Server-side prepared statements for the hot paths (an order's fraud check, the reports'
upkeep on each payment): planned once per connection instead of on every call.

The ORM's statements are prepared once a connection has run one DATABASE_PREPARE_THRESHOLD
times (backoffice.settings); these are prepared from their first run, and also with the
threshold "off" (Django's default, `prepare_threshold` None, under which `execute(...,
prepare=True)` alone does nothing): the threshold is set to 0 around them. Behind a
transaction-pooling PgBouncer this needs PgBouncer 1.21+ with `max_prepared_statements`
(README, "Scaling out").
"""

from collections.abc import Iterator
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
