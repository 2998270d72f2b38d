"""*Flag selected item(s) as sent* on the transactions grid (seed 000), registered with
orders' grid in ShippingConfig.ready()."""

from orders.actors import Actor
from orders.grid.registry import LineAction, Outcome, SelectedLine
from orders.models import OrderLine, OrderStatus

from .services import SHIPPING_STATUSES, ShipmentError, lines_flag_sent


def flag_sent(lines_by_order: dict[int, list[SelectedLine]], actor: Actor) -> Outcome:
    """Flag the selected items as sent, order by order through `lines_flag_sent` (each order
    in its own transaction: one refused order does not hold the others back).

    Items with nothing to send (already sent, or not shipped at all) and orders that do not
    ship in their status are reported as refused, with why; the service checks it all again
    under the order's lock, and what it refuses is reported with its own reason.
    """
    outcome = Outcome()
    ids = [line.id for lines in lines_by_order.values() for line in lines]
    facts = {
        pk: (status, shippable, quantity - fulfilled)
        for pk, status, shippable, quantity, fulfilled in OrderLine.objects.filter(
            pk__in=ids
        ).values_list("pk", "order__status", "is_shippable", "quantity", "quantity_fulfilled")
    }
    for order_id in sorted(lines_by_order):
        lines = [line for line in lines_by_order[order_id] if line.id in facts]
        if not lines:
            continue
        number = lines[0].order_number
        status = facts[lines[0].id][0]
        if status not in SHIPPING_STATUSES:
            outcome.refuse(
                number,
                len(lines),
                f"the order is {OrderStatus(status).label}: only paid or in-process orders ship",
            )
            continue
        not_shipped = [line for line in lines if not facts[line.id][1]]
        sent = [line for line in lines if facts[line.id][1] and facts[line.id][2] <= 0]
        outcome.refuse(number, len(not_shipped), "the item does not ship (nothing to send)")
        outcome.refuse(number, len(sent), "already sent")
        to_send = [line.id for line in lines if line not in not_shipped and line not in sent]
        if not to_send:
            continue
        try:
            lines_flag_sent(order_id=order_id, line_ids=to_send, actor=actor)
        except ShipmentError as exc:
            outcome.refuse(number, len(to_send), str(exc).rstrip("."))
        else:
            outcome.done(len(to_send))
    return outcome


FLAG_SENT = LineAction(
    name="flag_sent",
    label="Flag selected item(s) as sent",
    done_label="flagged as sent",
    run=flag_sent,
    permission="shipping.add_shipment",
)
