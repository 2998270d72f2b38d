"""Thin tasks: load by id, call a service."""

from celery import shared_task

from .services import export_run, exports_prune


@shared_task(acks_late=True)
def export_run_task(export_id: int) -> str:
    return export_run(export_id=export_id).status


@shared_task
def exports_prune_task() -> int:
    return exports_prune()
