"""Signals that higher apps (notifications) connect to, to learn what shipping did.

Sent inside the transaction that made the change, after the rows are saved, so that a
receiver's writes (an outbox row) commit or roll back with the change itself.
"""

from django.dispatch import Signal

shipment_recorded = Signal()  # kwargs: shipment, actor
tracking_updated = Signal()  # kwargs: tracking_number, previous, actor
