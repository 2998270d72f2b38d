"""Order lines keep the product's name and the variant's options apart (migration 0010 fixes
the lines the intake API wrote with the options inside the name)."""

from importlib import import_module

import pytest
from django.db import connection

from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db
FORWARD = import_module("orders.migrations.0010_line_name_without_options").FORWARD


def test_the_migration_takes_the_options_out_of_names_that_repeat_them():
    doubled = OrderLineFactory(name="Tee (colour: red, size: M)", options="colour: red, size: M")
    other_options = OrderLineFactory(name="Guide (PDF)", options="edition: 2")
    no_options = OrderLineFactory(name="Mug (blue)", options="")

    with connection.cursor() as cursor:
        cursor.execute(FORWARD)

    for line in (doubled, other_options, no_options):
        line.refresh_from_db()
    assert (doubled.name, doubled.label) == ("Tee", "Tee (colour: red, size: M)")
    assert other_options.name == "Guide (PDF)"
    assert no_options.name == "Mug (blue)"
