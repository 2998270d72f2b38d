"""What the worker does with a PO's outbox row (notifications calls these): build the vendor's
email, or write the 850 into the vendor's inbound folder. Reads only; the row's claim and
retries are the outbox's."""

from .documents import PoEmail, po_email
from .edi import file_name, x12_850
from .models import PurchaseOrder
from .transport import put_inbound


def purchase_order_of(*, order_id: int, label: str) -> tuple[PurchaseOrder, list]:
    """The PO `label` ("PO-5001") of the order, with its vendor and lines."""
    po = PurchaseOrder.objects.select_related("vendor", "order").get(
        order_id=order_id, number=int(label.removeprefix("PO-"))
    )
    lines = list(po.lines.select_related("order_line").order_by("pk"))
    return po, lines


def po_email_build(*, order_id: int, label: str, cancel: bool) -> PoEmail:
    po, lines = purchase_order_of(order_id=order_id, label=label)
    return po_email(po, lines, cancel=cancel)


def po_edi_put(*, order_id: int, label: str, cancel: bool) -> str:
    """Write the PO's 850 (purpose 01 for `cancel`) to the vendor's inbound folder, under a name
    made of its PO number and control number: a retry replaces it. Returns where it went;
    raises transport.TransportError saying what failed."""
    po, lines = purchase_order_of(order_id=order_id, label=label)
    content = x12_850(po, lines, cancel=cancel).encode("ascii", "replace")
    return put_inbound(po.vendor, file_name(po, cancel=cancel), content)


def is_edi(*, order_id: int, label: str) -> bool:
    po, _ = purchase_order_of(order_id=order_id, label=label)
    return po.vendor.po_method == po.vendor.PoMethod.EDI
