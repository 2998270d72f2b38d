"""Keyset ("seek") paging, shared by every long list (orders, the transactions grid, invoices).

A sort is a list of (path, descending) that ends in a unique column, so a cursor (the values of
one row under that sort) points at exactly one row. Pages are fetched by "rows strictly after
the cursor", which an index on the sort's columns serves from the cursor on: page 1 and page
20,000 cost the same, and nothing is ever counted.
"""

import base64
import binascii
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce

from django.core.exceptions import ValidationError
from django.db.models import Field, Q, QuerySet

Keys = Sequence[tuple[str, bool]]


def cursor_encode(sort: str, values: Sequence) -> str:
    """An opaque, URL-safe cursor for a row's `values` under `sort`."""
    raw = json.dumps([sort, [str(value) for value in values]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str, sort: str, fields: Sequence[Field]) -> list | None:
    """The row values a cursor points at, parsed by each key's `fields`, or None if it is
    garbage or from another sort (the caller then shows the first page)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, values = json.loads(raw)
        if cursor_sort != sort or len(values) != len(fields):
            return None
        return [field.to_python(value) for field, value in zip(fields, values, strict=True)]
    except (binascii.Error, ValueError, TypeError, KeyError, ValidationError):
        return None


def seek(keys: Keys, values: Sequence) -> Q:
    """Rows strictly after `values` in the ordering `keys`:
    `(a > x) OR (a = x AND b > y) OR ...`, plus a plain bound on the first column that lets
    Postgres start its index scan at the cursor instead of filtering from the top."""
    steps = []
    for i, (path, desc) in enumerate(keys):
        ties = {prev: values[j] for j, (prev, _) in enumerate(keys[:i])}
        steps.append(Q(**ties, **{f"{path}__{'lt' if desc else 'gt'}": values[i]}))
    first, first_desc = keys[0]
    bound = Q(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]})
    return reduce(operator.or_, steps) & bound


def ordering(keys: Keys) -> list[str]:
    """The keys as `order_by` arguments."""
    return [f"-{path}" if desc else path for path, desc in keys]


def reversed_keys(keys: Keys) -> list[tuple[str, bool]]:
    """The same columns the other way: how the page before a cursor is fetched."""
    return [(path, not desc) for path, desc in keys]


@dataclass
class Window:
    """One page of rows in display order, and whether there are pages after and before it."""

    rows: list
    has_next: bool
    has_previous: bool


def _fetch(queryset: QuerySet, keys: Keys, limit: int) -> list:
    return list(queryset.order_by(*ordering(keys))[:limit])


def window(
    queryset: QuerySet,
    keys: Keys,
    *,
    per_page: int,
    after: Sequence | None = None,
    before: Sequence | None = None,
    fetch: Callable[[QuerySet, Keys, int], list] | None = None,
) -> Window:
    """The page after the `after` cursor's row, or before the `before` one, or the first.

    One query of `per_page + 1` rows (the extra row says whether there is more): the page
    before a cursor is read the other way round and turned back. `fetch` runs the query where
    a list reads its rows its own way (None: as they come)."""
    fetch = fetch or _fetch
    if before is not None:
        backwards = reversed_keys(keys)
        rows = fetch(queryset.filter(seek(backwards, before)), backwards, per_page + 1)
        # Coming back from a page, there is always one after this one.
        return Window(rows[:per_page][::-1], has_next=bool(rows), has_previous=len(rows) > per_page)
    if after is not None:
        queryset = queryset.filter(seek(keys, after))
    rows = fetch(queryset, keys, per_page + 1)
    return Window(rows[:per_page], has_next=len(rows) > per_page, has_previous=after is not None)
