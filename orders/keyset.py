"""Keyset ("seek") paging, shared by the orders list and the transactions grid.

A sort is a list of (path, descending) that ends in a unique column, so a cursor (the values of
one row under that sort) points at exactly one row. Pages are fetched by "rows strictly after
the cursor", which an index on the sort's columns serves from the cursor on: page 1 and page
20,000 cost the same, and nothing is ever counted.
"""

import base64
import binascii
import json
import operator
from collections.abc import Sequence
from functools import reduce

from django.core.exceptions import ValidationError
from django.db.models import Field, Q

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
