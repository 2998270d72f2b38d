"""Exports of exactly what a filtered list shows: every matching row, in the list's order.

A source (the orders list, the transactions grid) gives the queryset its page would page
through, and its columns as expressions. The same columns make both files:

- CSV: Postgres writes it (COPY (the list's query) TO STDOUT) and the blocks pass on as they
  come, so rows never become Python objects and memory stays flat at any size.
- XLSX: rows come through a server-side cursor in chunks into xlsxwriter's constant-memory
  mode (a row is flushed to disk as soon as the next starts), with real dates and numbers.

Text cells that a spreadsheet would run as a formula (CSV injection) get a leading apostrophe.
The writing itself (COPY streaming, formula defusing, the header) is core.exports.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

import xlsxwriter
from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Expression,
    F,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast

from core.exports import SpreadsheetSafe, copy_csv, csv_header

TEXT, NUMBER, MONEY, DATETIME = "text", "number", "money", "datetime"


class ZeroPadded(Func):
    """A whole number as text, zero-padded to `width` digits and never cut: 42 → "000042"."""

    output_field = TextField()

    def __init__(self, expression, width: int = 6, **extra):
        self.width = width
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"lpad(({sql})::text, greatest({int(self.width)}, length(({sql})::text)), '0')",
            (*params, *params),
        )


class LocalTime(Func):
    """A timestamptz as the store's wall-clock time (a timestamp without time zone)."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} AT TIME ZONE %s)", (*params, settings.TIME_ZONE)


class LocalTimeText(Func):
    """A timestamptz as "YYYY-MM-DD HH:MM" in the store's timezone."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"to_char({sql} AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI')",
            (*params, settings.TIME_ZONE),
        )


def label_of(field_name: str, choices) -> Expression:
    """A choice field's label instead of its code, computed in SQL."""
    return Case(
        *[When(**{field_name: value}, then=Value(label)) for value, label in choices],
        default=Cast(F(field_name), CharField()),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class Column:
    header: str
    expression: Expression | str
    kind: str = TEXT

    def for_csv(self) -> Expression:
        value = F(self.expression) if isinstance(self.expression, str) else self.expression
        if self.kind == DATETIME:
            return LocalTimeText(value)
        if self.kind == TEXT:
            return SpreadsheetSafe(value)
        return value

    def for_xlsx(self) -> Expression:
        value = F(self.expression) if isinstance(self.expression, str) else self.expression
        return LocalTime(value) if self.kind == DATETIME else value


@dataclass(frozen=True)
class Source:
    """A list that can be exported: its rows for a query string, and its columns."""

    key: str
    title: str  # "Orders": the file is named after it
    permission: str
    rows: Callable[..., QuerySet]  # rows(user=, filters=) -> the list's queryset, ordered
    columns: list[Column] = field(default_factory=list)
    list_url_name: str = ""

    def queryset(self, *, user, filters: Mapping) -> QuerySet:
        return self.rows(user=user, filters=filters)


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    SOURCES[source.key] = source
    return source


def _projected(source: Source, queryset: QuerySet, *, for_xlsx: bool) -> QuerySet:
    names = {}
    for i, column in enumerate(source.columns):
        names[f"export_{i}"] = column.for_xlsx() if for_xlsx else column.for_csv()
    return queryset.annotate(**names).values_list(*names)


def header_line(source: Source) -> bytes:
    return csv_header(column.header for column in source.columns)


def count_upto(queryset: QuerySet, limit: int) -> int:
    """How many rows match, counting no further than `limit` (a page request never counts a
    million rows to decide how to export them). A report's rows are groups (sums per day,
    channel or item): those are counted as they are."""
    if queryset.query.group_by is not None:
        return queryset.order_by()[:limit].count()
    return queryset.order_by().values("pk")[:limit].count()


def csv_blocks(source: Source, queryset: QuerySet) -> Iterator[bytes]:
    """The CSV, header first, then the blocks Postgres sends."""
    yield header_line(source)
    projected = _projected(source, queryset, for_xlsx=False)
    sql, params = projected.query.get_compiler(using=projected.db).as_sql()
    yield from copy_csv(sql, params, using=projected.db)


def write_xlsx(
    source: Source,
    queryset: QuerySet,
    target: str | IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 5000,
) -> int:
    """Write the XLSX to `target` (a path or a binary file); returns the rows written."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(source.title[:31])
    bold = workbook.add_format({"bold": True})
    formats = {
        DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        MONEY: workbook.add_format({"num_format": "#,##0.00"}),
    }
    for col, column in enumerate(source.columns):
        sheet.write_string(0, col, column.header, bold)
        sheet.set_column(col, col, 20 if column.kind == DATETIME else 16)
    sheet.freeze_panes(1, 0)
    kinds = [column.kind for column in source.columns]
    rows = _projected(source, queryset, for_xlsx=True).iterator(chunk_size=2000)
    written = 0
    for written, row in enumerate(rows, start=1):
        for col, (kind, value) in enumerate(zip(kinds, row, strict=True)):
            if value is None or value == "":
                continue
            if kind == TEXT:
                # write_string: never a formula or a URL, whatever the text starts with.
                sheet.write_string(written, col, str(value))
            elif kind == DATETIME:
                sheet.write_datetime(written, col, value, formats[DATETIME])
            elif kind == MONEY:
                sheet.write_number(written, col, float(value), formats[MONEY])
            else:
                sheet.write_number(written, col, value)
        if progress and written % every == 0:
            progress(written)
    workbook.close()
    return written
