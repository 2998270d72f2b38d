"""Status moves that an app above orders makes with a form of its own.

Some moves are not a bare status change: an order becomes Shipped through a shipment with its
courier and tracking number (seed 004), which shipping records. orders may not import shipping
(the layer contract), so shipping registers the move's form here from its AppConfig.ready().
The order list then offers the move in each row's status menu to users with the form's
permission, and the status view hands the choice over: under htmx it shows the form in place
(a table row under the order's), without JavaScript it sends the browser to the form's page.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class MoveForm:
    target: str  # the status the move leads to
    permission: str  # offered only to users with it
    asks_for: str  # what the form asks for, to say so: "its courier and tracking number"
    # The form as a table row to show under the order's: (request, order number, how many
    # columns the list has) -> HTML of a <tr id="{form_row_id(number)}">. Once the move is
    # made, or cancelled, orders.views.order_row_response puts the order's row back and
    # removes this one.
    row_html: Callable[[HttpRequest, int, int], str]
    # The page where the move is made without JavaScript: order number -> URL.
    page_url: Callable[[int], str]


def form_row_id(number: int) -> str:
    """The id of the row that holds a move's form under order `number`'s row."""
    return f"order-{number}-form"


_registry: dict[str, MoveForm] = {}


def register(form: MoveForm) -> None:
    _registry[form.target] = form


def move_form_for(target: str, *, user) -> MoveForm | None:
    """The form that makes the move to `target`, if one is registered and `user` may use it."""
    form = _registry.get(target)
    return form if form is not None and user.has_perm(form.permission) else None


def move_form_targets(*, user) -> frozenset[str]:
    """The targets `user` can reach through a registered form (perms come from the cache)."""
    return frozenset(target for target in _registry if move_form_for(target, user=user))
