"""Starting and running exports. Small ones stream in the request; large ones run on the
worker, which writes the file and counts its progress for the page that polls it."""

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from core.replica import read_reporting
from orders.selectors import list_filters

from .exports import SOURCES, Source, count_upto, csv_blocks, write_xlsx
from .models import Export

logger = logging.getLogger(__name__)


class ExportError(Exception):
    """The export cannot be made as asked; the message is fit to show a user."""


@dataclass
class Plan:
    """How to make an export: now, in the request, or as a job on the worker."""

    source: Source
    filters: QueryDict
    format: str
    filename: str
    inline: bool
    alias: str = "default"  # the database its rows are read from


def _source(key: str, user) -> Source:
    source = SOURCES.get(key)
    if source is None:
        raise ExportError(f"There is no list called “{key}” to export.")
    if not user.has_perm(source.permission):
        raise ExportError(f"You may not export {source.title.lower()}.")
    return source


def _rows(source: Source, *, user, filters, alias: str):
    return source.queryset(user=user, filters=filters).using(alias)


def _count(source: Source, *, user, filters, limit: int | None = None) -> tuple[int, str]:
    """How many rows the export has (up to `limit`), and the database alias it reads them
    from: where reports read (the replica when it is healthy, else the primary). The
    export's own job row is always written on the primary."""

    def count(alias: str) -> int:
        rows = _rows(source, user=user, filters=filters, alias=alias)
        return count_upto(rows, limit) if limit else rows.order_by().count()

    total, read = read_reporting(count)
    if read.note:
        logger.info("The export of %s reads the primary: %s", source.key, read.note)
    return total, read.alias


def inline_limit(fmt: str) -> int:
    if fmt == Export.Format.XLSX:
        return settings.EXPORT_INLINE_MAX_ROWS_XLSX
    return settings.EXPORT_INLINE_MAX_ROWS_CSV


def export_plan(*, user, source_key: str, query: str, fmt: str) -> Plan:
    """Check the request and decide where the export runs: rows up to the format's inline
    limit stream in the request; more go to the worker. Counting stops at the limit."""
    if fmt not in Export.Format.values:
        raise ExportError("Export as CSV or XLSX.")
    source = _source(source_key, user)
    filters = list_filters(query)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{source.key}-{stamp}.{fmt}"
    limit = inline_limit(fmt)
    counted, alias = _count(source, user=user, filters=filters, limit=limit + 1)
    inline = counted <= limit
    return Plan(
        source=source, filters=filters, format=fmt, filename=filename, inline=inline, alias=alias
    )


def export_stream_csv(plan: Plan, *, user):
    return csv_blocks(
        plan.source, _rows(plan.source, user=user, filters=plan.filters, alias=plan.alias)
    )


def export_xlsx_file(plan: Plan, *, user):
    """The XLSX, written to a temporary file that is gone once it is closed."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    rows = _rows(plan.source, user=user, filters=plan.filters, alias=plan.alias)
    write_xlsx(plan.source, rows, handle)
    handle.seek(0)
    return handle


def export_queue(plan: Plan, *, user) -> Export:
    """Record the export job and hand it to the worker after commit."""
    export = Export.objects.create(
        source=plan.source.key,
        query=plan.filters.urlencode(),
        format=plan.format,
        filename=plan.filename,
        created_by=user,
    )
    from .tasks import export_run_task

    transaction.on_commit(lambda: export_run_task.delay(export.pk))
    return export


class _Progress:
    """Saves the rows written at most every half second (a row update, outside any
    transaction, so the page polling it sees it at once)."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.last = 0.0

    def __call__(self, rows: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= 0.5:
            Export.objects.filter(pk=self.export_id).update(rows_done=rows)
            self.last = now


def export_run(*, export_id: int) -> Export:
    """The worker's part: write the file, keep the progress, then mark it ready (or failed,
    with the reason). Runs once: a job another worker holds (or finished) is left alone."""
    now = timezone.now()
    # Queued, or running on a worker that died (the task is redelivered: acks late).
    claimable = Q(status=Export.Status.QUEUED) | Q(
        status=Export.Status.RUNNING, started_at__lt=now - timedelta(minutes=30)
    )
    claimed = Export.objects.filter(claimable, pk=export_id).update(
        status=Export.Status.RUNNING, started_at=now, rows_done=0
    )
    export = Export.objects.select_related("created_by").get(pk=export_id)
    if not claimed:
        return export
    try:
        source = _source(export.source, export.created_by)
        filters = list_filters(export.query)
        total, alias = _count(source, user=export.created_by, filters=filters)
        queryset = _rows(source, user=export.created_by, filters=filters, alias=alias)
        Export.objects.filter(pk=export_id).update(rows_total=total)
        progress = _Progress(export_id)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, export.filename)
            if export.format == Export.Format.XLSX:
                rows = write_xlsx(source, queryset, path, progress=progress)
            else:
                _write_csv(source, queryset, path, progress)
                rows = total
            progress(rows, force=True)
            with open(path, "rb") as handle:
                export.file.save(export.filename, File(handle), save=False)
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.DONE,
            file=export.file.name,
            rows_total=rows,
            rows_done=rows,
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("Export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    export.refresh_from_db()
    return export


def _write_csv(source, queryset, path, progress) -> int:
    rows = -1  # the header is a line too
    with open(path, "wb") as out:
        for block in csv_blocks(source, queryset):
            out.write(block)
            # A row per line: the CSV's text cells never hold a newline unquoted, and names
            # or emails with one are rare enough for a progress bar.
            rows += block.count(b"\n")
            progress(rows)
    return rows


def exports_prune() -> int:
    """Delete exports (and their files) older than EXPORT_KEEP_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.EXPORT_KEEP_DAYS)
    old = list(Export.objects.filter(created_at__lt=cutoff))
    for export in old:
        if export.file:
            export.file.delete(save=False)
        export.delete()
    return len(old)
