"""Filters of the order list whose condition an app above orders knows, registered from its
`AppConfig.ready()` (orders may not import it, as with the order page's panels and the moves'
forms).

purchasing registers "needs_po": the orders with a drop-ship line nobody has ordered from a
vendor yet. The list offers each registered condition in its filter bar as one more filter:
in the URL (`needs_po=yes`), combinable with the others, kept by saved views and exports as
any filter is (orders.filters.OrderFilter adds it).

A condition is a Q (or a boolean expression, e.g. an `Exists`) on Order, built anew for each
use: it must stay within the list's one query, so correlated EXISTS subqueries, not joins
that repeat rows and not a query of its own.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

SET = "yes"  # a condition's value in the URL when it applies


@dataclass(frozen=True)
class Condition:
    name: str  # the URL parameter
    label: str  # the option that applies it: "Needs a PO"
    empty_label: str  # the option that does not: "Any PO state"
    q: Callable[[], Q]
    position: int = 50


_registry: dict[str, Condition] = {}


def register_condition(condition: Condition) -> None:
    _registry[condition.name] = condition


def conditions() -> list[Condition]:
    return sorted(_registry.values(), key=lambda condition: (condition.position, condition.name))
