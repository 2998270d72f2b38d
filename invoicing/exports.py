"""The accountant's CSV of posted invoices and credit notes, streamed in constant memory.

One row per invoice line. An invoice's shipping, its order-level discount and any tax not
carried by its lines get a row of their own (no SKU), so that for every invoice the rows'
Total plus Tax columns add up to the invoice's total.

Postgres writes the CSV itself (COPY ... TO STDOUT) and the response passes its blocks on as
they come: the rows never become Python objects, which is what makes the export run at
hundreds of thousands of rows a second (loading them through a cursor tops out near 60,000).
Invoices are walked in posting order through their (posted_at, id) index, each with its
lines and adjustment rows, so the first bytes leave at once and memory stays flat.
"""

from collections.abc import Iterator
from datetime import date

from django.conf import settings

from core.exports import copy_csv, csv_header, spreadsheet_safe_sql
from orders.dates import end_of_day, start_of_day

HEADER = (
    "Invoice number",
    "Type",
    "Invoice date",
    "Posted date",
    "Profile",
    "Profile email",
    "SKU",
    "Description",
    "Quantity",
    "Unit price",
    "Discount",
    "Tax",
    "Total",
    "Currency",
)


# Composed from constants only; the values are bound parameters.
_EXPORT_SQL = f"""
SELECT
        CASE i.kind WHEN 'credit_note' THEN 'CN-' ELSE 'INV-' END
            || lpad(i.number::text, greatest(6, length(i.number::text)), '0'),
        CASE i.kind WHEN 'credit_note' THEN 'Credit note' ELSE 'Invoice' END,
        to_char(i.issued_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD'),
        to_char(i.posted_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD'),
        {spreadsheet_safe_sql("coalesce(nullif(btrim(p.first_name || ' ' || p.last_name), ''), nullif(p.company, ''), p.email)")},
        {spreadsheet_safe_sql("p.email")},
        {spreadsheet_safe_sql("r.sku")},
        {spreadsheet_safe_sql("r.description")},
        r.quantity,
        r.unit_price,
        r.discount,
        r.tax,
        r.total,
        i.currency
    FROM invoicing_invoice i
    JOIN customers_profile p ON p.id = i.profile_id
    CROSS JOIN LATERAL (
        SELECT 0 AS part, l.id AS line_id, l.sku, l.description, l.quantity::text AS quantity,
               l.unit_price::text AS unit_price, l.discount::text AS discount, l.tax, l.total
        FROM invoicing_invoiceline l
        WHERE l.invoice_id = i.id
        UNION ALL
        SELECT 1, 0, '', 'Shipping', '', '', '', 0.00, i.shipping
        WHERE i.shipping <> 0
        UNION ALL
        SELECT 2, 0, '', 'Order discount', '', '', '', 0.00, -i.discount
        WHERE i.discount <> 0
        UNION ALL
        SELECT 3, 0, '', 'Tax not on the lines', '', '', '', i.tax - t.line_tax, 0.00
        FROM (
            SELECT coalesce(sum(tax), 0) AS line_tax
            FROM invoicing_invoiceline
            WHERE invoice_id = i.id
        ) t
        WHERE i.tax <> t.line_tax
    ) r
    WHERE i.status = 'posted' AND i.posted_at >= %(start)s AND i.posted_at < %(end)s
    ORDER BY i.posted_at, i.id, r.part, r.line_id
"""  # noqa: S608
# Bounds for an open end of the range.
_EVER = (date(1900, 1, 1), date(9998, 12, 31))


def export_csv(*, posted_from: date | None, posted_to: date | None) -> Iterator[bytes]:
    """The CSV of invoices posted between two days (store timezone, both included; open when
    None), as bytes in the blocks Postgres sends, for a StreamingHttpResponse."""
    yield csv_header(HEADER)
    params = {
        "tz": settings.TIME_ZONE,
        "start": start_of_day(posted_from or _EVER[0]),
        "end": end_of_day(posted_to or _EVER[1]),
    }
    yield from copy_csv(_EXPORT_SQL, params)
