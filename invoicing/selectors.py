"""Every read of invoices for the back office: the one place that shapes their queries.

The list pages by keyset on (issued_at, id), newest first, and never counts the table.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest

from core import keyset
from customers import selectors as customers_selectors
from customers.models import Profile
from orders.models import Order

from .filters import InvoiceFilter
from .models import Invoice, PaymentRecord

PER_PAGE = 50
PROFILE_RESULTS = 20


@dataclass
class InvoicePage:
    invoices: list[Invoice]
    filterset: InvoiceFilter
    next_cursor: str | None = None
    previous_cursor: str | None = None

    @property
    def active(self) -> dict:
        return self.filterset.active


# Newest first; the id breaks ties between invoices issued in the same microsecond.
KEYS = [("issued_at", True), ("id", True)]
_SORT = "-issued_at"


def _cursor_encode(invoice: Invoice) -> str:
    return keyset.cursor_encode(_SORT, [invoice.issued_at, invoice.pk])


def _cursor_decode(cursor: str) -> list | None:
    fields = [Invoice._meta.get_field(name) for name, _ in KEYS]
    return keyset.cursor_decode(cursor, _SORT, fields)


def _list_queryset() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("profile", "order").only(
        "number",
        "kind",
        "status",
        "issued_at",
        "posted_at",
        "currency",
        "total",
        "customer_name",
        "customer_email",
        "order__number",
        "profile__first_name",
        "profile__last_name",
        "profile__email",
        "profile__member_ref",
    )


def invoice_list(*, user, filters: Mapping) -> InvoicePage:
    """A page of invoices and credit notes, newest first: filtered by status, kind, issue
    date (from, to: days in the store's timezone) and number or customer; paged by the
    `after`/`before` cursors. One query, whatever the page or the table's size."""
    filterset = InvoiceFilter(filters, queryset=_list_queryset())
    # An invalid filter value is dropped (the page says why); the valid ones still apply.
    filterset.is_valid()
    queryset = filterset.qs
    after = _cursor_decode(filters.get("after", "")) if filters.get("after") else None
    before = _cursor_decode(filters.get("before", "")) if filters.get("before") else None
    window = keyset.window(queryset, KEYS, per_page=PER_PAGE, after=after, before=before)
    rows = window.rows
    page = InvoicePage(rows, filterset)
    if rows:
        page.next_cursor = _cursor_encode(rows[-1]) if window.has_next else None
        page.previous_cursor = _cursor_encode(rows[0]) if window.has_previous else None
    return page


def invoice_detail(*, user, number: int) -> Invoice:
    """An invoice with everything its page (and PDF) shows: profile, order, lines, payment
    records, the invoice it credits and the credit notes against it. Four queries."""
    queryset = Invoice.objects.select_related(
        "profile", "order", "posted_by", "credits"
    ).prefetch_related(
        "lines",
        Prefetch(
            "payment_records",
            queryset=PaymentRecord.objects.select_related("profile", "reversal_credit_note"),
        ),
        Prefetch("credit_notes", queryset=Invoice.objects.order_by("issued_at", "id")),
    )
    try:
        return queryset.get(number=number)
    except Invoice.DoesNotExist as exc:
        raise Http404(f"No invoice {number}.") from exc


def invoice_id_by_number(*, user, number: int) -> int | None:
    return Invoice.objects.filter(number=number).values_list("id", flat=True).first()


def profile_search(*, user, q: str, exclude_id: int | None = None) -> list[Profile]:
    """Profiles an invoice can move to: the customers app's search."""
    return customers_selectors.profile_search(q=q, exclude_id=exclude_id, limit=PROFILE_RESULTS)


def order_invoices_panel(request: HttpRequest, order: Order) -> dict | None:
    """The order page's "Invoices" panel: the order's invoices and credit notes. No query for
    an order that was never paid (it has none); one otherwise."""
    if order.first_paid_at is None:
        return None
    invoices = list(
        Invoice.objects.filter(order=order)
        .select_related("profile")
        .order_by("issued_at", "id")
        .only(
            "number",
            "kind",
            "status",
            "issued_at",
            "currency",
            "total",
            "credits_id",
            "profile__first_name",
            "profile__last_name",
            "profile__email",
            "profile__member_ref",
        )
    )
    if not invoices:
        return None
    return {"invoices": invoices}
