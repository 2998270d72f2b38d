"""X12 004010 purchase orders (850): the interchange a vendor's EDI system reads.

The interchange control number comes from the vendor's counter, raised in SQL (two sends to one
vendor never get the same number, and numbers only grow); the 850 reuses it as its group and
transaction set control numbers. The file name carries the PO number and the control number, so
a retried upload of the same 850 replaces the file instead of adding a second one.
"""

import re

from django.db import connection
from django.utils import timezone

from .models import PurchaseOrder

ELEMENT, SEGMENT = "*", "~"
# BEG01: 00 original, 01 cancellation.
ORIGINAL, CANCELLATION = "00", "01"
_UNSAFE = re.compile(r"[*~^:>\r\n]")


def control_number_next(*, vendor_id: int) -> int:
    """The vendor's next interchange control number, raised in the database (one statement,
    so concurrent sends serialise on the vendor's row and never share a number)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_vendor SET edi_control_number = edi_control_number + 1 "
            "WHERE id = %s RETURNING edi_control_number",
            [vendor_id],
        )
        (number,) = cursor.fetchone()
    if number > 999_999_999:
        raise ValueError("The vendor's EDI control numbers are used up (ISA13 has 9 digits).")
    return number


def file_name(po: PurchaseOrder, *, cancel: bool = False) -> str:
    control = po.edi_cancel_control_number if cancel else po.edi_control_number
    return f"PO{po.number}_{control:09d}{'_cancel' if cancel else ''}.850"


def _clean(value, width: int | None = None) -> str:
    text = _UNSAFE.sub(" ", str(value or "")).strip()
    return text[:width] if width else text


def _seg(*elements) -> str:
    return ELEMENT.join(str(e) for e in elements).rstrip(ELEMENT) + SEGMENT


def x12_850(po: PurchaseOrder, lines, *, cancel: bool = False) -> str:
    """The 850 for `po` (with `lines`, its PurchaseOrderLines with order_line loaded): ISA, GS,
    ST, BEG, REF (the store's order number), DTM, N1/N3/N4 ship-to (the customer), PO1 per line
    with the vendor's SKU, CTT, SE, GE, IEA."""
    vendor = po.vendor
    control = po.edi_cancel_control_number if cancel else po.edi_control_number
    if control is None:
        raise ValueError(f"{po.label} has no EDI control number: it was not sent by EDI.")
    now = timezone.now()
    body = [
        _seg("ST", "850", f"{control:04d}"),
        _seg(
            "BEG", CANCELLATION if cancel else ORIGINAL, "DS", po.label, "", now.strftime("%Y%m%d")
        ),
        _seg("REF", "CO", po.order.number),
        _seg("DTM", "002", now.strftime("%Y%m%d")),
        *_ship_to(po),
        *_po1_segments(lines),
        _seg("CTT", len(lines), sum(line.quantity for line in lines)),
    ]
    body.append(_seg("SE", len(body) + 1, f"{control:04d}"))
    gs = _seg(
        "GS",
        "PO",
        _clean(vendor.edi_sender_id, 15),
        _clean(vendor.edi_receiver_id, 15),
        now.strftime("%Y%m%d"),
        now.strftime("%H%M"),
        control,
        "X",
        "004010",
    )
    tail = [_seg("GE", 1, control), _seg("IEA", 1, f"{control:09d}")]
    return "\n".join([_isa(vendor, control, now), gs, *body, *tail]) + "\n"


def _isa(vendor, control: int, now) -> str:
    """The interchange header: fixed-width fields, padded as X12 wants them."""
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        _clean(vendor.edi_sender_qualifier, 2).ljust(2),
        _clean(vendor.edi_sender_id, 15).ljust(15),
        _clean(vendor.edi_receiver_qualifier, 2).ljust(2),
        _clean(vendor.edi_receiver_id, 15).ljust(15),
        now.strftime("%y%m%d"),
        now.strftime("%H%M"),
        "U",
        "00401",
        f"{control:09d}",
        "0",
        "P",
        ">",
    ]
    return ELEMENT.join(fields) + SEGMENT


def _ship_to(po: PurchaseOrder) -> list[str]:
    """N1/N3/N4: the customer the vendor ships to."""
    address = po.order.shipping_address or {}
    return [
        _seg("N1", "ST", _clean(address.get("name") or po.order.customer_name, 60)),
        _seg("N3", _clean(address.get("line1"), 55), _clean(address.get("line2"), 55)),
        _seg(
            "N4",
            _clean(address.get("city"), 30),
            _clean(address.get("region"), 2),
            _clean(address.get("postal_code"), 15),
            _clean(address.get("country"), 3),
        ),
    ]


def _po1_segments(lines) -> list[str]:
    """One PO1 per PO line, at the vendor's SKU (ours beside it) and cost."""
    return [
        _seg(
            "PO1",
            index,
            line.quantity,
            "EA",
            f"{line.unit_cost:.2f}",
            "",
            "VN",
            _clean(line.vendor_sku or line.order_line.sku, 48),
            "SK",
            _clean(line.order_line.sku, 48),
        )
        for index, line in enumerate(lines, start=1)
    ]
