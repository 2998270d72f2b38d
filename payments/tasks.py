"""Thin tasks: load by id, call a service; retries with backoff."""

from celery import shared_task

# Exponential backoff (5 s doubling, capped at 10 minutes, jittered), eight tries.
RETRYING = {
    "bind": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRYING)
def payment_refund(self, payment_id: int) -> str:
    from .refunds import payment_refund_request

    return payment_refund_request(payment_id=payment_id)


@shared_task(**RETRYING)
def order_auto_charge(self, order_id: int) -> str:
    from .automation import order_auto_charge_run

    return order_auto_charge_run(order_id=order_id)
