"""The invoice pages: list, invoice (printable), PDF, move, post, batch post, CSV export.

Staff view invoices and move drafts between profiles; posting (one or a batch) and the
accountant's export are store admins' (`invoicing.post_invoice`, `invoicing.export_invoices`).
"""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.prepared import planned_for_values
from orders.actors import Actor
from orders.dates import today

from . import selectors, services
from .exports import export_csv
from .filters import invoice_number_in
from .forms import BatchPostForm, ExportForm, InvoiceMoveForm
from .pdf import invoice_pdf
from .tables import InvoiceTable

VIEW = "invoicing.view_invoice"
MOVE = "invoicing.change_invoice"
POST = "invoicing.post_invoice"
EXPORT = "invoicing.export_invoices"


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _invoice_id(request, number: int) -> int:
    invoice_id = selectors.invoice_id_by_number(user=request.user, number=number)
    if invoice_id is None:
        raise Http404(f"No invoice {number}.")
    return invoice_id


@require_GET
@permission_required(VIEW, raise_exception=True)
@planned_for_values
def invoice_list(request):
    number = invoice_number_in(request.GET.get("q", ""))
    if number is not None and selectors.invoice_id_by_number(user=request.user, number=number):
        return redirect("invoicing:detail", number=number)
    page = selectors.invoice_list(user=request.user, filters=request.GET)
    empty = (
        "No invoices match these filters."
        if page.active
        else "No invoices yet: an invoice is created when an order is paid."
    )
    table = InvoiceTable(page.invoices, empty_text=empty)
    return render(
        request,
        "invoicing/invoice_list.html",
        {"page": page, "table": table, "today": today()},
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def invoice_detail(request, number: int):
    invoice = selectors.invoice_detail(user=request.user, number=number)
    profile_q = request.GET.get("profile_q", "").strip()
    profiles = None
    if profile_q and invoice.is_draft and request.user.has_perm(MOVE):
        profiles = selectors.profile_search(
            user=request.user, q=profile_q, exclude_id=invoice.profile_id
        )
    context = {"invoice": invoice, "profile_q": profile_q, "profiles": profiles}
    if request.htmx and request.GET.get("partial") == "profiles":
        return render(request, "invoicing/invoice_detail.html#profile_results", context)
    return render(request, "invoicing/invoice_detail.html", context)


@require_GET
@permission_required(VIEW, raise_exception=True)
def invoice_pdf_download(request, number: int):
    invoice = selectors.invoice_detail(user=request.user, number=number)
    return FileResponse(
        BytesIO(invoice_pdf(invoice)),
        content_type="application/pdf",
        filename=f"{invoice.display_number}.pdf",
        as_attachment=request.GET.get("download") == "1",
    )


@require_POST
@permission_required([VIEW, MOVE], raise_exception=True)
def invoice_move(request, number: int):
    invoice_id = _invoice_id(request, number)
    form = InvoiceMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
    else:
        try:
            invoice = services.invoice_move(
                invoice_id=invoice_id,
                profile_id=form.cleaned_data["profile"],
                actor=Actor.of(request.user),
            )
        except services.InvoiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Invoice {invoice.display_number} is now applied to {invoice.profile}."
            )
    return redirect("invoicing:detail", number=number)


@require_POST
@permission_required([VIEW, POST], raise_exception=True)
def invoice_post(request, number: int):
    invoice_id = _invoice_id(request, number)
    try:
        invoice = services.invoice_post(invoice_id=invoice_id, actor=Actor.of(request.user))
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Invoice {invoice.display_number} is posted: it can no longer change."
        )
    return redirect("invoicing:detail", number=number)


@require_POST
@permission_required([VIEW, POST], raise_exception=True)
def invoice_post_batch(request):
    form = BatchPostForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("invoicing:list")
    up_to = form.cleaned_data["up_to"]
    try:
        count = services.invoice_post_batch(up_to=up_to, actor=Actor.of(request.user))
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
        return redirect("invoicing:list")
    day = f"{up_to:%b} {up_to.day}, {up_to.year}"
    if count:
        messages.success(
            request, f"{count} draft invoice{'s' * (count != 1)} issued up to {day} posted."
        )
    else:
        messages.info(request, f"No draft invoices issued up to {day}: nothing was posted.")
    return redirect(reverse("invoicing:list") + "?status=posted")


@require_GET
@permission_required([VIEW, EXPORT], raise_exception=True)
def invoice_export(request):
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("invoicing:list")
    start, end = form.cleaned_data["posted_from"], form.cleaned_data["posted_to"]
    name = "-".join(["posted-invoices", *(d.isoformat() for d in (start, end) if d)])
    response = StreamingHttpResponse(
        export_csv(posted_from=start, posted_to=end), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "no-store"
    return response
