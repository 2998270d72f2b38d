"""The order status machine, declared once.

Every status change goes through `orders.services.order_transition`, which asks this table
whether the move is allowed and why not (`refusal`: every refused move says what would allow
it, derived from the table). Views ask `allowed_transitions(order)` what to offer.
Effects that belong to this app (booking and reversing the sale) are declared here too; apps
above orders add theirs through the `order_status_changed` signal.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .models import Order, OrderStatus

Guard = Callable[[Order], str | None]  # returns why the move is refused, or None


# What a move that needs a record takes, said when it is missing or comes first on the way.
PAY_FIRST = "charge it or record an offline payment"
SHIP_FIRST = "record a shipment with its courier and tracking number"


def nothing_left_to_ship(order: Order) -> str | None:
    if order.has_lines_to_ship:
        return f"Items are still waiting to be shipped: {SHIP_FIRST} first, or cancel the order."
    return None


def ships_nothing(order: Order) -> str | None:
    if order.has_shippable_lines:
        return (
            "This order shipped, so Complete is final: a completed shipped order stays complete."
            " Add a note to its timeline for what happens after (a return, a refund at the"
            " gateway) instead."
        )
    return None


def has_items_to_ship(order: Order) -> str | None:
    if not order.has_shippable_lines:
        return "Nothing on this order ships; complete it instead."
    return None


class Effect:
    """Names of this app's effects, run by the service inside the transition's transaction."""

    BOOK_SALE = "book_sale"  # stock down, units sold up (exactly once: Order.stock_committed)
    REVERSE_SALE = "reverse_sale"  # the exact reverse, if the sale was booked


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str
    guards: tuple[Guard, ...] = ()
    effects: tuple[str, ...] = ()
    # Only a recorded payment makes an order paid (charge, gateway notification, manual
    # payment, the storefront's capture): the plain status form does not offer this move.
    needs_payment: bool = False
    # Only a recorded shipment (courier and tracking number, seed 004) makes an order shipped:
    # shipping.services.shipment_create does; the plain status form does not offer this move.
    needs_shipment: bool = False

    def refusal(self, order: Order) -> str | None:
        for guard in self.guards:
            reason = guard(order)
            if reason:
                return reason
        return None


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (t.source, t.target): t
    for t in [
        Transition(
            OrderStatus.PENDING,
            OrderStatus.PAID,
            "Mark paid",
            effects=(Effect.BOOK_SALE,),
            needs_payment=True,
        ),
        Transition(OrderStatus.PENDING, OrderStatus.CANCELLED, "Cancel"),
        Transition(
            OrderStatus.PAID,
            OrderStatus.PENDING,
            "Roll back to pending",
            effects=(Effect.REVERSE_SALE,),
        ),
        Transition(
            OrderStatus.PAID, OrderStatus.IN_PROCESS, "Mark in process", guards=(has_items_to_ship,)
        ),
        Transition(
            OrderStatus.PAID,
            OrderStatus.SHIPPED,
            "Mark shipped",
            guards=(has_items_to_ship,),
            needs_shipment=True,
        ),
        Transition(
            OrderStatus.PAID, OrderStatus.COMPLETE, "Complete", guards=(nothing_left_to_ship,)
        ),
        Transition(
            OrderStatus.PAID, OrderStatus.CANCELLED, "Cancel", effects=(Effect.REVERSE_SALE,)
        ),
        Transition(
            OrderStatus.IN_PROCESS,
            OrderStatus.SHIPPED,
            "Mark shipped",
            guards=(has_items_to_ship,),
            needs_shipment=True,
        ),
        Transition(
            OrderStatus.IN_PROCESS, OrderStatus.COMPLETE, "Complete", guards=(nothing_left_to_ship,)
        ),
        Transition(
            OrderStatus.IN_PROCESS, OrderStatus.CANCELLED, "Cancel", effects=(Effect.REVERSE_SALE,)
        ),
        Transition(OrderStatus.SHIPPED, OrderStatus.DELIVERED, "Mark delivered"),
        Transition(OrderStatus.SHIPPED, OrderStatus.COMPLETE, "Complete"),
        Transition(OrderStatus.DELIVERED, OrderStatus.COMPLETE, "Complete"),
        # An order with nothing to ship completes as soon as it is paid (seed 003), so Complete
        # is still "paid" for it: it can be rolled back or cancelled like a paid order.
        Transition(
            OrderStatus.COMPLETE,
            OrderStatus.PENDING,
            "Roll back to pending",
            guards=(ships_nothing,),
            effects=(Effect.REVERSE_SALE,),
        ),
        Transition(
            OrderStatus.COMPLETE,
            OrderStatus.CANCELLED,
            "Cancel",
            guards=(ships_nothing,),
            effects=(Effect.REVERSE_SALE,),
        ),
    ]
}


# What to do instead with an order in a status no move leaves (derived: no move in the table
# starts there), said when any change of it is refused.
FINAL_INSTEAD = "enter a new order instead (one that was never paid can also be deleted)"


def transition_for(source: str, target: str) -> Transition | None:
    return TRANSITIONS.get((source, target))


def reverses_sale(source: str, target: str) -> bool:
    """Whether moving from `source` to `target` undoes a payment (a rollback or a cancel of a paid
    order): what apps above orders reverse their own records on (payments, invoices)."""
    move = transition_for(source, target)
    return move is not None and Effect.REVERSE_SALE in move.effects


def transitions_from(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if t.source == source]


def allowed_transitions(
    order: Order, *, with_payment: bool = False, with_shipment: bool = False
) -> list[Transition]:
    """What this order may do now: the table's moves from its status whose guards pass.

    Moves that need a payment or a shipment are left out unless `with_payment` or
    `with_shipment` (they have forms of their own).
    """
    return [
        t
        for t in transitions_from(order.status)
        if (with_payment or not t.needs_payment)
        and (with_shipment or not t.needs_shipment)
        and t.refusal(order) is None
    ]


def bulk_targets() -> list[str]:
    """The statuses a bulk change may move orders to, in the status order: the targets of every
    move that needs neither a payment nor a shipment. Those two need a record per order (an
    amount and its authorization, a courier and tracking numbers), which a bulk form cannot
    give, so bulk changes never offer Paid or Shipped."""
    targets = {t.target for t in TRANSITIONS.values() if not (t.needs_payment or t.needs_shipment)}
    return [status for status in OrderStatus.values if status in targets]


def _requirement(move: Transition) -> str:
    """What taking `move` needs, as the first step on the way to another status."""
    if move.needs_payment:
        return f"the order must be paid first ({PAY_FIRST})"
    if move.needs_shipment:
        return f"it must be shipped first ({SHIP_FIRST})"
    return f"it must become {OrderStatus(move.target).label} first (“{move.label}”)"


def _way_to(order: Order, target: str) -> list[Transition] | None:
    """The shortest run of the table's moves from the order's status to `target` whose guards
    pass for this order (its contents decide them: what ships, what is left to ship), or None."""
    came_by: dict[str, Transition | None] = {order.status: None}
    queue = deque([order.status])
    while queue:
        status = queue.popleft()
        if status == target:
            path = []
            while (move := came_by[status]) is not None:
                path.append(move)
                status = move.source
            return path[::-1]
        for move in transitions_from(status):
            if move.target not in came_by and move.refusal(order) is None:
                came_by[move.target] = move
                queue.append(move.target)
    return None


def refusal(
    order: Order, target: str, *, payment_recorded: bool = False, shipment_recorded: bool = False
) -> str | None:
    """Why `order` cannot move to `target` now, saying what would allow it; None if it can.

    A move that needs a payment or a shipment is refused unless the caller recorded one. A
    move the table does not have names the way there (the first move of the shortest run the
    order's guards allow: "the order must be paid first"), or, where there is none, what the
    order can do instead: its moves now, or, from a final status, what is left to do.
    """
    source, to = OrderStatus(order.status).label, OrderStatus(target).label
    move = transition_for(order.status, target)
    if move is not None:
        if move.needs_payment and not payment_recorded:
            return f"{to} needs a payment: {PAY_FIRST}."
        if move.needs_shipment and not shipment_recorded:
            return f"{to} needs a courier and a tracking number: {SHIP_FIRST}."
        return move.refusal(order)
    refused = f"{source} cannot become {to}" if order.status != target else f"It is {to} already"
    way = _way_to(order, target) if order.status != target else None
    if way:
        rest = ", then ".join(OrderStatus(m.target).label for m in way[1:-1])
        return f"{refused}: {_requirement(way[0])}" + (f", then {rest}." if rest else ".")
    if not transitions_from(order.status):
        return f"{refused}: {source} is final; {FINAL_INSTEAD}."
    now = allowed_transitions(order, with_payment=True, with_shipment=True)
    if not now:
        # Every move from here is refused for this order: its guard says why and what instead.
        return f"{refused}. {transitions_from(order.status)[0].refusal(order)}"
    offered = " or ".join(f"“{m.label}”" for m in now)
    return f"{refused}; what it can do now: {offered}."
