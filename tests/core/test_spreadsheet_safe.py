"""core.exports.spreadsheet_safe_sql: what a spreadsheet would run gets a leading apostrophe,
and the value's SQL is evaluated once."""

import pytest
from django.db import connection

from core.exports import spreadsheet_safe_sql

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_formula_starts_are_defused_and_the_rest_kept(value, shown):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {spreadsheet_safe_sql('%s::text')}", [value])
        assert cursor.fetchone()[0] == shown


def test_the_value_is_evaluated_once():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY SEQUENCE safe_calls")
        counted = "'=' || nextval('safe_calls')"
        cursor.execute(f"SELECT {spreadsheet_safe_sql(counted)}")
        assert cursor.fetchone()[0] == "'=1"
        cursor.execute("SELECT currval('safe_calls')")
        assert cursor.fetchone()[0] == 1
