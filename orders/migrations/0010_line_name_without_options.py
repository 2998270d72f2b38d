"""Lines the intake API wrote before it kept the product's name and the variant's options
apart: their `name` ended with " (<options>)", so every page that adds the options showed
them twice. Strip that suffix; lines whose name does not end with their options are left."""

from django.db import migrations

FORWARD = """
UPDATE orders_orderline
SET name = left(name, length(name) - length(options) - 3)
WHERE options <> '' AND right(name, length(options) + 3) = ' (' || options || ')'
"""


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_saved_views")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=migrations.RunSQL.noop)]
