"""Export writing shared by every export (the lists' CSV/XLSX, the accountant's invoices).

Postgres writes a CSV itself (COPY (query) TO STDOUT) and the blocks pass on as they come, so
rows never become Python objects and memory stays flat at any size. Text cells that a
spreadsheet would run as a formula (CSV injection) get a leading apostrophe, in SQL.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func, TextField


def spreadsheet_safe_sql(sql: str) -> str:
    """SQL for a text value a spreadsheet will show, never evaluate: one starting with = + - @
    or a tab or carriage return gets a leading apostrophe (OWASP's advice). `sql` appears three
    times, so an expression with parameters needs them three times."""
    return (
        f"CASE WHEN left({sql}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || {sql} ELSE {sql} END"
    )


class SpreadsheetSafe(Func):
    """`spreadsheet_safe_sql` as an ORM expression."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return spreadsheet_safe_sql(sql), (*params, *params, *params)


def csv_header(headers: Iterable[str]) -> bytes:
    """The header line, after a byte-order mark that makes Excel read the file as UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(headers))
    return ("\ufeff" + buffer.getvalue()).encode()


def copy_csv(sql: str, params, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[bytes]:
    """The rows of a SELECT as CSV, in the blocks Postgres sends (for a StreamingHttpResponse
    or a file), read on the database `using`. `sql` must be composed from constants only;
    values go in `params`."""
    connection = connections[using]
    connection.ensure_connection()
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with connection.connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        for block in copy:
            yield bytes(block)
