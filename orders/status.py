"""The order status machine, declared once.

Every status change goes through `orders.services.order_transition`, which asks this table
whether the move is allowed and why not. Views ask `allowed_transitions(order)` what to offer.
Effects that belong to this app (booking and reversing the sale) are declared here too; apps
above orders add theirs through the `order_status_changed` signal.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .models import Order, OrderStatus

Guard = Callable[[Order], str | None]  # returns why the move is refused, or None


def nothing_left_to_ship(order: Order) -> str | None:
    if order.has_lines_to_ship:
        return "Items are still waiting to be shipped."
    return None


def ships_nothing(order: Order) -> str | None:
    if order.has_shippable_lines:
        return "This order shipped; a completed shipped order stays complete."
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
