"""Thin tasks: beat polls EDI vendors' outbound folders for 856 ship notices."""

from celery import shared_task

from .polling import ship_notices_poll_all


@shared_task
def ship_notices_poll() -> dict:
    return dict(ship_notices_poll_all())
