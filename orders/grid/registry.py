"""What apps above orders add to the transactions grid, registered from their
`AppConfig.ready()` (orders may not import them, as with the order page's panels):

- a `RowLink`: something each row may link to, looked up for a whole page of rows in one
  query (invoicing: the order's invoice number, a column, and *View invoice* in the menu);
- a `LineAction`: a bulk action on the selected lines (shipping: *Flag selected item(s) as
  sent*). It gets the lines grouped by order and answers with an `Outcome`: how many items
  it changed on how many orders, and each refusal with its reason.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from ..actors import Actor


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class RowLink:
    name: str
    column: str  # the column's header
    menu_label: str  # the row menu's item, e.g. "View invoice"
    # order ids -> the link of each order that has one; one query for the whole page.
    lookup: Callable[[list[int]], dict[int, Link]]
    missing: str = "—"  # what a row without one shows
    missing_reason: str = ""  # why the menu item is unavailable, e.g. "Not invoiced yet"
    permission: str = ""
    position: int = 50


@dataclass(frozen=True)
class SelectedLine:
    """A line chosen for an action, with what actions need to report on it."""

    id: int
    order_id: int
    order_number: int


@dataclass(frozen=True)
class Refusal:
    """Items of one order an action did not change, and why (a reason that reads after a
    count: "the order is Cancelled: only paid or in-process orders ship")."""

    order_number: int
    items: int
    reason: str


@dataclass
class Outcome:
    items: int = 0  # items changed
    orders: int = 0  # on this many orders
    refusals: list[Refusal] = field(default_factory=list)

    def refuse(self, order_number: int, items: int, reason: str) -> None:
        if items:
            self.refusals.append(Refusal(order_number, items, reason))

    def done(self, items: int) -> None:
        self.items += items
        self.orders += 1


@dataclass(frozen=True)
class LineAction:
    name: str  # the form's `action` value
    label: str  # the button and menu item
    done_label: str  # what the summary says happened: "flagged as sent"
    run: Callable[[dict[int, list[SelectedLine]], Actor], Outcome]  # lines by order id
    permission: str = ""
    position: int = 50


_links: dict[str, RowLink] = {}
_actions: dict[str, LineAction] = {}


def register_link(link: RowLink) -> None:
    _links[link.name] = link


def register_action(action: LineAction) -> None:
    _actions[action.name] = action


def links_for(user) -> list[RowLink]:
    return [
        link
        for link in sorted(_links.values(), key=lambda link: (link.position, link.name))
        if not link.permission or user.has_perm(link.permission)
    ]


def actions_for(user) -> list[LineAction]:
    return [
        action
        for action in sorted(_actions.values(), key=lambda action: (action.position, action.name))
        if not action.permission or user.has_perm(action.permission)
    ]


def action_named(name: str) -> LineAction | None:
    return _actions.get(name)
