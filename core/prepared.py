"""Server-side prepared statements for the hot paths (an order's fraud check, the reports'
upkeep on each payment): planned once per connection instead of on every call.

Django turns psycopg's automatic preparing off (`prepare_threshold` None), and under that
setting `execute(..., prepare=True)` does nothing, so the threshold is turned on around these
statements only. Behind a transaction-pooling PgBouncer this needs PgBouncer 1.21+ with
`max_prepared_statements` (README, "Scaling out").
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
