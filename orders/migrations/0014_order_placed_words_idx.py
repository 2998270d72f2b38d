"""The date's index carries the customer's words (INCLUDE), for searches by a word of the name
(orders.models.Order.Meta). Built without locking the orders against writes: the new index
first, then the old one goes, so the list always has one to walk."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0013_order_profile_placed_idx"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["-placed_at", "-id"],
                include=("customer_words",),
                name="order_placed_words_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="order", name="order_placed_idx"),
    ]
