"""Signals that higher apps (notifications) connect to, to learn what payments asked for.

Sent inside the transaction that recorded the request, so a receiver's outbox row commits or
rolls back with it.
"""

from django.dispatch import Signal

# kwargs: order, actor, event (the timeline event that records the request: one email per request)
payment_update_requested = Signal()
