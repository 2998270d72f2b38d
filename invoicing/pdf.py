"""An invoice or credit note as a PDF, drawn with fpdf2 (pure Python, no system libraries).

A Unicode TrueType font is used when the machine has one (Liberation Sans or DejaVu Sans,
from Debian's fonts-liberation / fonts-dejavu); otherwise the PDF core font Helvetica, with
text folded to Windows-1252, so a slim image without fonts still makes a readable PDF.
"""

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from core.formatting import money_label

from .models import Invoice

FONT_CANDIDATES = [
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
]
# What Helvetica (Windows-1252) cannot show, folded to what it can.
CORE_FONT_FOLDS = str.maketrans({"−": "-", "→": "->", "≤": "<=", "≥": ">=", "✓": "v"})

INK = (28, 36, 48)
MUTED = (101, 112, 131)
RULE = (200, 205, 213)
HEAD_FILL = (245, 246, 248)
STATUS_COLOURS = {
    Invoice.Status.DRAFT: (138, 83, 0),
    Invoice.Status.POSTED: (13, 107, 61),
    Invoice.Status.VOID: (163, 38, 27),
}


def _unicode_font() -> tuple[str, str] | None:
    for regular, bold in FONT_CANDIDATES:
        if Path(regular).is_file() and Path(bold).is_file():
            return regular, bold
    return None


class InvoicePDF(FPDF):
    def __init__(self, invoice: Invoice, font_files: tuple[str, str] | None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.invoice = invoice
        if font_files:
            self.add_font("Body", "", font_files[0])
            self.add_font("Body", "B", font_files[1])
            self.family = "Body"
            self.unicode = True
        else:
            self.core_fonts_encoding = "cp1252"
            self.family = "Helvetica"
            self.unicode = False
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(f"{invoice.display_number} · {settings.STORE_NAME}")
        self.set_author(settings.STORE_NAME)
        self.set_creator("Backoffice")

    def t(self, text) -> str:
        """Text the current font can draw."""
        text = str(text)
        if self.unicode:
            return text
        return text.translate(CORE_FONT_FOLDS).encode("cp1252", "replace").decode("cp1252")

    def font(self, size: float, bold: bool = False, colour=INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def footer(self):
        self.set_y(-13)
        self.font(8, colour=MUTED)
        self.cell(
            0,
            5,
            self.t(f"{self.invoice.display_number} · {settings.STORE_NAME}"),
            align="L",
        )
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _date(value) -> str:
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{local:%b} {local.day}, {local.year}"


def _address_lines(invoice: Invoice) -> list[str]:
    address = invoice.billing_address or {}
    lines = [address.get("name") or invoice.customer_name]
    lines += [address.get("company", ""), address.get("line1", ""), address.get("line2", "")]
    city = ", ".join(p for p in [address.get("city", ""), address.get("region", "")] if p)
    lines.append(" ".join(p for p in [city, address.get("postal_code", "")] if p))
    lines.append(address.get("country", ""))
    lines.append(invoice.customer_email)
    return [line for line in lines if line]


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (as `selectors.invoice_detail` loads it) as PDF bytes."""
    pdf = InvoicePDF(invoice, _unicode_font())
    pdf.add_page()
    _draw_heading(pdf, invoice)
    _draw_parties(pdf, invoice)
    _draw_lines(pdf, invoice)
    _draw_totals(pdf, invoice)
    _draw_payments(pdf, invoice)
    return bytes(pdf.output())


def _draw_heading(pdf: InvoicePDF, invoice: Invoice) -> None:
    """The store, the document's title and number, its status, and a rule below."""
    width, left = pdf.epw, pdf.l_margin
    title = "Credit note" if invoice.is_credit_note else "Invoice"
    pdf.font(16, bold=True)
    pdf.cell(width / 2, 9, pdf.t(settings.STORE_NAME))
    pdf.font(20, bold=True)
    pdf.cell(width / 2, 9, pdf.t(title.upper()), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(11, bold=True, colour=MUTED)
    pdf.cell(0, 6, invoice.display_number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(9, bold=True, colour=STATUS_COLOURS[invoice.status])
    status = invoice.get_status_display()
    if invoice.is_posted and invoice.posted_at:
        status += f" {_date(invoice.posted_at)}"
    pdf.cell(0, 5, pdf.t(status.upper()), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_draw_color(*RULE)
    pdf.line(left, pdf.get_y(), left + width, pdf.get_y())
    pdf.ln(5)


def _document_facts(invoice: Invoice) -> list[tuple[str, str]]:
    facts = [
        ("Invoice date" if not invoice.is_credit_note else "Date", _date(invoice.issued_at)),
        ("Order", f"#{invoice.order.number}"),
        ("Account", str(invoice.profile)),
    ]
    if invoice.credits_id:
        facts.append(("Credits invoice", invoice.credits.display_number))
    facts += [("Credited by", note.display_number) for note in invoice.credit_notes.all()]
    return facts


def _draw_parties(pdf: InvoicePDF, invoice: Invoice) -> None:
    """Bill to (left) and the document's facts (right), side by side."""
    width, left = pdf.epw, pdf.l_margin
    top = pdf.get_y()
    pdf.font(8, bold=True, colour=MUTED)
    pdf.cell(width / 2, 5, "BILL TO", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for i, line in enumerate(_address_lines(invoice)):
        pdf.font(10, bold=i == 0)
        pdf.cell(width / 2, 5, pdf.t(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()

    pdf.set_y(top)
    label_w, value_w = 32, 55
    for label, value in _document_facts(invoice):
        pdf.set_x(left + width - label_w - value_w)
        pdf.font(9, colour=MUTED)
        pdf.cell(label_w, 5, pdf.t(label))
        pdf.font(9, bold=True)
        pdf.cell(value_w, 5, pdf.t(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()) + 7)


def _draw_lines(pdf: InvoicePDF, invoice: Invoice) -> None:
    pdf.font(9)
    heading = FontFace(emphasis="BOLD", color=MUTED, fill_color=HEAD_FILL, size_pt=8)
    with pdf.table(
        col_widths=(28, 52, 10, 21, 19, 27, 19),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=heading,
        line_height=5.5,
        padding=(1.5, 1.5),
        width=pdf.epw,
    ) as table:
        # The line's total is before tax, as on the invoice page: the lines add up to the
        # subtotal, and tax is added once, below.
        table.row(["SKU", "Description", "Qty", "Unit price", "Discount", "Total excl. tax", "Tax"])
        for line in invoice.lines.all():
            table.row(
                [
                    pdf.t(line.sku),
                    pdf.t(line.description),
                    str(line.quantity),
                    pdf.t(money_label(line.unit_price, invoice.currency)),
                    pdf.t(money_label(-line.discount, invoice.currency)) if line.discount else "—",
                    pdf.t(money_label(line.total, invoice.currency)),
                    pdf.t(money_label(line.tax, invoice.currency)),
                ]
            )
    pdf.ln(4)


def _draw_totals(pdf: InvoicePDF, invoice: Invoice) -> None:
    """Subtotal, discount, shipping and tax, right-aligned, then the total under a rule."""
    width, left = pdf.epw, pdf.l_margin
    rows = [
        ("Subtotal excl. tax", invoice.subtotal),
        ("Discount", -invoice.discount),
        ("Shipping", invoice.shipping),
        ("Tax", invoice.tax),
    ]
    label_w, value_w = 40, 32
    for label, value in rows:
        pdf.set_x(left + width - label_w - value_w)
        pdf.font(9.5, colour=MUTED)
        pdf.cell(label_w, 6, label, align="R")
        pdf.font(9.5)
        pdf.cell(
            value_w,
            6,
            pdf.t(money_label(value, invoice.currency)),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    y = pdf.get_y() + 1
    pdf.line(left + width - label_w - value_w, y, left + width, y)
    pdf.set_y(y + 1.5)
    pdf.set_x(left + width - label_w - value_w)
    pdf.font(11, bold=True)
    pdf.cell(label_w, 7, "Total", align="R")
    pdf.cell(
        value_w,
        7,
        pdf.t(money_label(invoice.total, invoice.currency)),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)


def _payment_text(invoice: Invoice, record) -> str:
    text = f"{_date(record.received_at)}: {money_label(record.amount, invoice.currency)} received"
    if record.reference:
        text += f", authorization {record.reference}"
    if record.reversed_at:
        text += f". Reversed {_date(record.reversed_at)}"
        if record.reversal_credit_note_id:
            text += f" by credit note {record.reversal_credit_note.display_number}"
    return text + "."


def _draw_payments(pdf: InvoicePDF, invoice: Invoice) -> None:
    records = list(invoice.payment_records.all())
    if not records:
        return
    pdf.font(8, bold=True, colour=MUTED)
    pdf.cell(0, 5, "PAYMENTS", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for record in records:
        pdf.font(9.5)
        pdf.multi_cell(
            0, 5, pdf.t(_payment_text(invoice, record)), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
