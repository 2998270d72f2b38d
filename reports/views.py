"""Export pages: start an export of a list, watch a large one's progress, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from . import services
from .exports import SOURCES
from .models import Export
from .tables import ExportTable

EXPORT = "reports.add_export"
CONTENT_TYPES = {
    Export.Format.CSV: "text/csv; charset=utf-8",
    Export.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _back(source_key: str, query: str) -> str:
    source = SOURCES.get(source_key)
    try:
        url = reverse(source.list_url_name) if source else reverse("home")
    except NoReverseMatch:
        url = reverse("home")
    return f"{url}?{query}" if query else url


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required(EXPORT, raise_exception=True)
def export_start(request):
    """Export what the list shows: at once if it is small, else on the worker."""
    source_key = request.POST.get("source", "")
    query = request.POST.get("query", "")
    try:
        plan = services.export_plan(
            user=request.user,
            source_key=source_key,
            query=query,
            fmt=request.POST.get("format", ""),
        )
    except services.ExportError as error:
        messages.error(request, str(error))
        return redirect(_back(source_key, query))
    if not plan.inline:
        export = services.export_queue(plan, user=request.user)
        messages.info(
            request,
            "That is a large export: the worker is making the file. "
            "It will be ready to download here.",
        )
        return redirect("reports:export_detail", pk=export.pk)
    if plan.format == Export.Format.XLSX:
        handle = services.export_xlsx_file(plan, user=request.user)
        response = FileResponse(handle, content_type=CONTENT_TYPES[plan.format])
    else:
        response = StreamingHttpResponse(
            services.export_stream_csv(plan, user=request.user),
            content_type=CONTENT_TYPES[plan.format],
        )
    return _attachment(response, plan.filename)


def _own_export(request, pk: int) -> Export:
    return get_object_or_404(Export, pk=pk, created_by=request.user)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export_list(request):
    exports = Export.objects.filter(created_by=request.user)[:50]
    return render(request, "reports/export_list.html", {"table": ExportTable(exports)})


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export_detail(request, pk: int):
    export = _own_export(request, pk)
    context = {"export": export, "back_url": _back(export.source, export.query)}
    if request.htmx:
        return render(request, "reports/export_detail.html#progress", context)
    return render(request, "reports/export_detail.html", context)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export_download(request, pk: int):
    export = _own_export(request, pk)
    if export.status != Export.Status.DONE or not export.file:
        raise Http404("This export is not ready.")
    response = FileResponse(export.file.open("rb"), content_type=CONTENT_TYPES[export.format])
    return _attachment(response, export.filename)
