"""The transactions grid's invoice column and *View invoice*, registered with orders' grid in
InvoicingConfig.ready(): items bought together share their order's invoice number."""

from django.urls import reverse

from orders.grid.registry import Link, RowLink

from .models import Invoice


def invoice_links(order_ids: list[int]) -> dict[int, Link]:
    """Each order's invoice (the newest that is not void; an order paid again after a
    rollback has a new one), one query for a page of orders by the invoices' order index."""
    rows = (
        Invoice.objects.filter(order_id__in=order_ids, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.VOID)
        .order_by("order_id", "-issued_at", "-id")
        .distinct("order_id")
        .values_list("order_id", "number")
    )
    prefix = reverse("invoicing:detail", kwargs={"number": 0}).removesuffix("0/")
    label = Invoice.PREFIXES[Invoice.Kind.INVOICE]
    return {
        order_id: Link(text=f"{label}-{number:06d}", url=f"{prefix}{number}/")
        for order_id, number in rows
    }


INVOICE_LINK = RowLink(
    name="invoice",
    column="Invoice",
    menu_label="View invoice",
    lookup=invoice_links,
    missing_reason="Not invoiced yet: an order is invoiced when it is paid.",
    permission="invoicing.view_invoice",
)
