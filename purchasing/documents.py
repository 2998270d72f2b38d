"""What an email vendor receives: the PO as a PDF (fpdf2, as invoices are drawn) and as CSV,
attached to a short message. A cancellation is the same documents titled as one."""

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from core.formatting import money_label

from .models import PurchaseOrder

CSV_HEADER = [
    "po_number",
    "order_number",
    "line",
    "vendor_sku",
    "store_sku",
    "description",
    "quantity",
    "unit_cost",
    "line_cost",
]


@dataclass(frozen=True)
class PoEmail:
    subject: str
    body: str
    to: list[str]
    attachments: list[tuple[str, bytes, str]]


def _ship_to(po: PurchaseOrder) -> list[str]:
    address = po.order.shipping_address or {}
    place = " ".join(
        p for p in [address.get("city"), address.get("region"), address.get("postal_code")] if p
    )
    return [
        p
        for p in [
            address.get("name") or po.order.customer_name,
            address.get("line1"),
            address.get("line2"),
            place,
            address.get("country"),
            address.get("phone"),
        ]
        if p
    ]


def _fold(text) -> str:
    # The PDF core font (Helvetica) draws Windows-1252 only.
    return (
        str(text).replace("×", "x").replace("−", "-").encode("cp1252", "replace").decode("cp1252")
    )


def po_pdf(po: PurchaseOrder, lines, *, cancel: bool = False) -> bytes:
    """The PO (with `lines`, order_line loaded) as PDF bytes."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_title(f"{po.label} · {settings.STORE_NAME}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    title = f"CANCELLATION OF PURCHASE ORDER {po.label}" if cancel else f"PURCHASE ORDER {po.label}"
    pdf.cell(0, 9, _fold(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        5,
        _fold(f"From {settings.STORE_NAME}, for its order #{po.order.number}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.cell(0, 5, _fold(f"To {po.vendor.name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(
        0,
        5,
        "SHIP TO (drop-ship: send directly to the customer)",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font("Helvetica", "", 10)
    for text in _ship_to(po):
        pdf.cell(0, 5, _fold(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    with pdf.table(
        col_widths=(30, 30, 60, 14, 20, 20),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
    ) as table:
        table.row(["Your SKU", "Our SKU", "Item", "Qty", "Unit cost", "Cost"])
        for line in lines:
            table.row(
                [
                    _fold(line.vendor_sku),
                    _fold(line.order_line.sku),
                    _fold(line.order_line.name),
                    str(line.quantity),
                    _fold(money_label(line.unit_cost, po.order.currency)),
                    _fold(money_label(line.cost, po.order.currency)),
                ]
            )
    total = sum((line.cost for line in lines), start=0)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _fold(f"Total {money_label(total, po.order.currency)}"), align="R")
    return bytes(pdf.output())


def po_csv(po: PurchaseOrder, lines) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for index, line in enumerate(lines, start=1):
        writer.writerow(
            [
                po.label,
                po.order.number,
                index,
                line.vendor_sku,
                line.order_line.sku,
                line.order_line.name,
                line.quantity,
                f"{line.unit_cost:.2f}",
                f"{line.cost:.2f}",
            ]
        )
    return out.getvalue().encode()


def po_email(po: PurchaseOrder, lines, *, cancel: bool = False) -> PoEmail:
    """The message to the vendor's PO addresses, the PDF and CSV attached."""
    ship_to = "\n".join(f"  {p}" for p in _ship_to(po))
    if cancel:
        subject = f"Cancelled: purchase order {po.label} from {settings.STORE_NAME}"
        intro = f"Please cancel purchase order {po.label} (our order #{po.order.number}); do not ship it."
    else:
        subject = f"Purchase order {po.label} from {settings.STORE_NAME}"
        intro = (
            f"Please ship the items of purchase order {po.label} (our order #{po.order.number}) "
            "directly to our customer:"
        )
    items = "\n".join(
        f"  {line.quantity} x {line.vendor_sku} ({line.order_line.name})" for line in lines
    )
    body = f"Hello {po.vendor.name},\n\n{intro}\n\n{ship_to}\n\nItems:\n{items}\n\nThe PO is attached as PDF and CSV.\n\n{settings.STORE_NAME}\n"
    suffix = "-cancelled" if cancel else ""
    return PoEmail(
        subject=subject,
        body=body,
        to=list(po.vendor.po_emails),
        attachments=[
            (f"{po.label}{suffix}.pdf", po_pdf(po, lines, cancel=cancel), "application/pdf"),
            (f"{po.label}{suffix}.csv", po_csv(po, lines), "text/csv"),
        ],
    )
