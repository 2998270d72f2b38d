"""X12 856 ship notices from EDI vendors: read, matched to our POs, applied whole or not at all.

A notice names our PO (PRF01, "PO-5001" or "5001"), the carrier (TD503, its SCAC), the tracking
numbers (REF*CN or MAN*CP) and, per item, the vendor's SKU (LIN, after VN) and the units shipped
(SN102). Each PO in the file becomes one shipment through po_lines_ship, all in one
transaction: a notice that cannot be parsed or matched is refused with the reason and changes
nothing.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from catalog.models import Vendor
from orders.actors import Actor
from orders.services import OrderError
from shipping.models import Carrier

from .models import PurchaseOrder, ShipNotice
from .services import po_lines_ship

EDI_INBOX = Actor.system("EDI ship notice")
# The carriers' Standard Carrier Alpha Codes, as 856s name them.
SCAC = {"UPSN": "ups", "UPSS": "ups", "FDEG": "fedex", "FDE": "fedex", "FDEN": "fedex",
        "USPS": "usps", "DHL": "dhl", "DHLC": "dhl"}  # fmt: skip


class NoticeRefused(Exception):
    """The notice cannot be applied; the message says why, fit to show staff."""


@dataclass
class Notice:
    po_label: str = ""
    scac: str = ""
    tracking: list[str] = field(default_factory=list)
    items: list[tuple[str, int]] = field(default_factory=list)


def _segments(text: str) -> list[list[str]]:
    if not text.startswith("ISA") or len(text) < 106:
        raise NoticeRefused("This is not an X12 file: it does not start with an ISA segment.")
    element, terminator = text[3], text[105]
    segments = [s.strip().split(element) for s in text.split(terminator) if s.strip()]
    ids = [s[0] for s in segments]
    sets = [s for s in segments if s[0] == "ST"]
    if not sets or any(s[1:2] != ["856"] for s in sets):
        raise NoticeRefused("The file holds no 856 ship notice (ST01 is not 856).")
    if ids[-1] != "IEA":
        raise NoticeRefused("The file is cut short: it does not end with IEA.")
    return segments


def parse_856(text: str) -> list[Notice]:
    """The ship notices in an 856 interchange, one per order level (PRF); NoticeRefused when
    the file is malformed or says nothing we can apply."""
    notices: list[Notice] = []
    scac, tracking = "", []
    current: Notice | None = None
    pending_sku = ""
    for seg in _segments(text):
        tag = seg[0]
        if tag == "TD5" and len(seg) > 3:
            scac = seg[3].strip()
        elif (tag == "REF" and len(seg) > 2 and seg[1] == "CN") or (
            tag == "MAN" and len(seg) > 2 and seg[1] in ("CP", "GM")
        ):
            tracking.append(seg[2].strip())
        elif tag == "PRF" and len(seg) > 1:
            current = Notice(po_label=seg[1].strip())
            notices.append(current)
        elif tag == "LIN":
            pairs = dict(zip(seg[2::2], seg[3::2], strict=False))
            pending_sku = pairs.get("VN", "").strip()
            if not pending_sku:
                raise NoticeRefused("An item (LIN) does not give the vendor's SKU after VN.")
        elif tag == "SN1":
            if current is None or not pending_sku:
                raise NoticeRefused("Units shipped (SN1) come before any PO (PRF) or item (LIN).")
            try:
                quantity = int(float(seg[2]))
            except (IndexError, ValueError) as exc:
                raise NoticeRefused(f"SN1 for {pending_sku} has no number of units.") from exc
            current.items.append((pending_sku, quantity))
            pending_sku = ""
    if not notices:
        raise NoticeRefused("The notice names no purchase order (no PRF segment).")
    for notice in notices:
        notice.scac, notice.tracking = scac, list(dict.fromkeys(t for t in tracking if t))
        if not notice.items:
            raise NoticeRefused(f"The notice for {notice.po_label} lists no items shipped.")
    return notices


def _carrier(scac: str) -> Carrier:
    code = SCAC.get(scac.upper(), scac.lower())
    carrier = Carrier.objects.filter(code=code, is_active=True).first()
    if carrier is None:
        raise NoticeRefused(f"The carrier “{scac}” (TD503) is not one of the store's carriers.")
    return carrier


def _apply(vendor: Vendor, notice: Notice) -> PurchaseOrder:
    number = notice.po_label.upper().removeprefix("PO-").removeprefix("PO")
    po = (
        PurchaseOrder.objects.filter(vendor=vendor, number=int(number)).first()
        if number.isdigit()
        else None
    )
    if po is None:
        raise NoticeRefused(f"{notice.po_label} is not a PO of {vendor.name}.")
    lines = {pl.vendor_sku: pl for pl in po.lines.order_by("pk")}
    wanted = {}
    for sku, quantity in notice.items:
        if sku not in lines:
            raise NoticeRefused(f"{po.label} has no line with the vendor SKU {sku}.")
        wanted[lines[sku].pk] = wanted.get(lines[sku].pk, 0) + quantity
    if not notice.tracking:
        raise NoticeRefused(f"The notice for {po.label} gives no tracking number (REF*CN).")
    try:
        po_lines_ship(
            purchase_order_id=po.pk,
            lines=wanted,
            carrier_id=_carrier(notice.scac).pk,
            tracking_numbers=notice.tracking,
            actor=EDI_INBOX,
        )
    except OrderError as exc:  # PurchasingError, ShipmentError: the reason fits staff
        raise NoticeRefused(str(exc)) from exc
    return po


def ship_notice_apply(*, vendor_id: int, file_name: str, content: bytes) -> ShipNotice:
    """Apply one 856 file from the vendor, whole or not at all, and record the outcome.

    Guarantees: a file already applied (same vendor, name and content) is not applied again
    (the ship_notice_once constraint) and its record is returned; a refused file changes no
    shipment and is recorded with the reason (once per content); either way the caller may
    then move an applied file aside and must leave a refused one.
    """
    vendor = Vendor.objects.get(pk=vendor_id)
    digest = hashlib.sha256(content).hexdigest()
    known = ShipNotice.objects.filter(vendor=vendor, file_name=file_name, sha256=digest).first()
    if known is not None:
        return known
    try:
        with transaction.atomic():
            notices = parse_856(content.decode("ascii", errors="replace"))
            pos = [_apply(vendor, notice) for notice in notices]
            record = ShipNotice.objects.create(
                vendor=vendor, file_name=file_name, sha256=digest, status=ShipNotice.Status.APPLIED
            )
            record.purchase_orders.set(pos)
            return record
    except NoticeRefused as exc:
        reason = str(exc)
    except IntegrityError:
        # Another poll applied it meanwhile.
        return ShipNotice.objects.get(vendor=vendor, file_name=file_name, sha256=digest)
    record, _ = ShipNotice.objects.get_or_create(
        vendor=vendor,
        file_name=file_name,
        sha256=digest,
        defaults={"status": ShipNotice.Status.REFUSED, "reason": reason},
    )
    return record
