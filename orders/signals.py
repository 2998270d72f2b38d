"""Signals that higher apps (payments, invoicing, shipping, notifications) connect to.

Sent inside the transaction that changed the order, after the order row is saved, so that a
receiver's writes (an invoice, an outbox row) commit or roll back with the change itself.
"""

from django.dispatch import Signal

# kwargs: order, from_status, to_status, actor, note, event (the STATUS OrderEvent recording it:
# its created_at is when the change happened, the moment reports count a sale or return on)
order_status_changed = Signal()
# kwargs: order, actor  (an order was created, by any channel)
order_placed = Signal()
