"""Every write of purchase orders: create (grouped by vendor), send, cancel, and the vendor's
shipments of their lines.

Locks are taken in one order everywhere: the order row, then its lines (pk order), then the POs
(pk order). A PO's status is derived from its lines' quantities (`_status_of`) and saved by each
service that changes them.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import ProductVendor, Vendor
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, RiskLevel
from orders.services import OrderError, order_event_add, order_transition
from payments import crypto
from shipping.models import Shipment
from shipping.services import shipment_create

from .edi import control_number_next
from .models import PurchaseOrder, PurchaseOrderLine
from .signals import po_lines_shipped, purchase_order_cancelled, purchase_order_sent

Status = PurchaseOrder.Status
# POs are for orders that are paid and still have something to ship.
PO_ORDER_STATUSES = {OrderStatus.PAID, OrderStatus.IN_PROCESS}


class PurchasingError(OrderError):
    """A purchasing rule was broken; the message is fit to show a user."""


def vendor_method_problem(vendor: Vendor) -> str | None:
    """Why a PO cannot reach `vendor` as it is set up, or None."""
    if not vendor.is_active:
        return f"{vendor.name} is inactive: activate it in Settings → Vendors first."
    if vendor.po_method == Vendor.PoMethod.EMAIL:
        if not vendor.po_emails:
            return f"{vendor.name} takes POs by email but has no address: add one in Settings → Vendors."
        return None
    if vendor.po_method == Vendor.PoMethod.EDI:
        if not (vendor.edi_sender_id and vendor.edi_receiver_id):
            return (
                f"{vendor.name} takes POs by EDI but its ISA sender and receiver ids are not set: "
                "set them in Settings → Vendors."
            )
        if vendor.edi_transport == Vendor.Transport.SFTP and not (
            vendor.sftp_host and vendor.sftp_username
        ):
            return (
                f"{vendor.name}'s SFTP host and user are not set: set them in Settings → Vendors."
            )
        return None
    return (
        f"{vendor.name} has no way to receive POs: choose email or EDI for it in "
        "Settings → Vendors."
    )


def _status_of(po: PurchaseOrder, lines: list[PurchaseOrderLine]) -> str:
    if po.cancelled_at is not None:
        return Status.CANCELLED
    if po.sent_at is None:
        return Status.DRAFT
    shipped = sum(line.quantity_shipped for line in lines)
    if shipped == 0:
        return Status.SENT
    if all(line.quantity_shipped == line.quantity for line in lines):
        return Status.SHIPPED
    return Status.PARTLY_SHIPPED


def _save_status(po: PurchaseOrder, *fields: str) -> None:
    po.status = _status_of(po, list(po.lines.order_by("pk")))
    po.save(update_fields=["status", *fields])


def _paid_order_locked(order_id: int) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == OrderStatus.PENDING:
        raise PurchasingError(
            f"Order #{order.number} is not paid yet: POs are for paid orders, so it must be "
            "paid first (charge it or record its payment)."
        )
    if order.status not in PO_ORDER_STATUSES:
        raise PurchasingError(
            f"Order #{order.number} is {OrderStatus(order.status).label}: POs are made for paid "
            "or in-process orders only."
        )
    return order


def _sku(line: OrderLine) -> str:
    return line.sku or line.name


def _checked_choices(
    order: Order, choices: dict[int, int]
) -> tuple[dict[int, OrderLine], dict[tuple[int, int], ProductVendor]]:
    """The chosen order lines (locked) and the product-vendor link of each choice, every choice
    checked: the line is this order's, ships, has units left, is on no open PO, and the vendor
    supplies its product."""
    if not choices:
        raise PurchasingError("Choose a vendor for at least one item.")
    lines = {
        line.pk: line
        for line in OrderLine.objects.filter(order=order, pk__in=list(choices))
        .select_for_update()
        .order_by("pk")
    }
    missing = set(choices) - set(lines)
    if missing:
        raise PurchasingError("An item chosen for a PO is not on this order.")
    on_open = dict(
        PurchaseOrderLine.objects.filter(order_line_id__in=list(lines), is_open=True).values_list(
            "order_line_id", "purchase_order__number"
        )
    )
    links = {
        (link.product_id, link.vendor_id): link
        for link in ProductVendor.objects.filter(
            product_id__in={line.product_id for line in lines.values()},
            vendor_id__in=set(choices.values()),
        ).select_related("vendor")
    }
    for pk, vendor_id in choices.items():
        line = lines[pk]
        if not line.is_shippable:
            raise PurchasingError(f"{_sku(line)} does not ship: it needs no PO.")
        if line.quantity - line.quantity_fulfilled <= 0:
            raise PurchasingError(f"{_sku(line)} has already been sent in full: it needs no PO.")
        if pk in on_open:
            raise PurchasingError(
                f"{_sku(line)} is already on PO-{on_open[pk]}: cancel that PO to order it again."
            )
        if (line.product_id, vendor_id) not in links:
            raise PurchasingError(
                f"That vendor does not supply {_sku(line)}: choose one of its product's vendors."
            )
    return lines, links


@transaction.atomic
def po_create_for_order(
    *, order_id: int, choices: dict[int, int], send: bool = False, actor: Actor
) -> list[PurchaseOrder]:
    """Create the POs for `choices` (order line id -> vendor id): one PO per vendor, one PO line
    per order line (its units still to send, the vendor's SKU, the vendor's cost), and with
    `send` send each (po_send).

    Guarantees: only a paid (or in-process) order gets POs; every choice is checked before
    anything is written and a refusal (PurchasingError, naming the item) writes nothing; the
    order row is locked first, so concurrent calls serialise and a line lands on at most one open
    PO (backed by the po_line_one_open_po index); the timeline names each PO.
    """
    order = _paid_order_locked(order_id)
    lines, links = _checked_choices(order, choices)
    by_vendor: dict[int, list[int]] = defaultdict(list)
    for pk in sorted(choices):
        by_vendor[choices[pk]].append(pk)
    if send:
        for vendor_id in sorted(by_vendor):
            vendor = links[(lines[by_vendor[vendor_id][0]].product_id, vendor_id)].vendor
            problem = vendor_method_problem(vendor)
            if problem:
                raise PurchasingError(problem)
    created = []
    for vendor_id in sorted(by_vendor):
        po = PurchaseOrder.objects.create(order=order, vendor_id=vendor_id, created_by=actor.user)
        po_lines = []
        for pk in by_vendor[vendor_id]:
            line = lines[pk]
            link = links[(line.product_id, vendor_id)]
            po_lines.append(
                PurchaseOrderLine(
                    purchase_order=po,
                    order_line=line,
                    quantity=line.quantity - line.quantity_fulfilled,
                    vendor_sku=link.vendor_sku or line.sku,
                    unit_cost=link.cost,
                )
            )
        PurchaseOrderLine.objects.bulk_create(po_lines)
        po.refresh_from_db(fields=["number"])
        vendor = links[(lines[by_vendor[vendor_id][0]].product_id, vendor_id)].vendor
        order_event_add(
            order=order,
            kind=OrderEvent.Kind.PURCHASING,
            message=(
                f"PO-{po.number} created for {vendor.name}: "
                + ", ".join(f"{p.quantity} × {lines[p.order_line_id].sku}" for p in po_lines)
                + "."
            ),
            actor=actor,
        )
        created.append(po)
    if send:
        created = [po_send(purchase_order_id=po.pk, actor=actor) for po in created]
    return created


def _po_locked(purchase_order_id: int) -> PurchaseOrder:
    order_id = PurchaseOrder.objects.values_list("order_id", flat=True).get(pk=purchase_order_id)
    Order.objects.select_for_update().filter(pk=order_id).first()
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("vendor", "order")
        .get(pk=purchase_order_id)
    )


@transaction.atomic
def po_send(*, purchase_order_id: int, actor: Actor) -> PurchaseOrder:
    """Send a draft PO to its vendor.

    Guarantees: only a draft PO of a paid order whose vendor can receive POs is sent (else
    PurchasingError, nothing changed); its send is written in this transaction
    (`purchase_order_sent`: notifications' outbox row, delivered by the worker after commit);
    a Paid order moves to In process; the timeline says so.
    """
    po = _po_locked(purchase_order_id)
    if po.status != Status.DRAFT:
        raise PurchasingError(
            f"{po.label} is {po.get_status_display().lower()}: only a draft is sent."
        )
    order = po.order
    if order.status not in PO_ORDER_STATUSES:
        raise PurchasingError(
            f"Order #{order.number} is {OrderStatus(order.status).label}: its POs are not sent."
        )
    problem = vendor_method_problem(po.vendor)
    if problem:
        raise PurchasingError(problem)
    po.sent_at = timezone.now()
    fields = ["sent_at"]
    if po.vendor.po_method == Vendor.PoMethod.EDI:
        po.edi_control_number = control_number_next(vendor_id=po.vendor_id)
        fields.append("edi_control_number")
    _save_status(po, *fields)
    purchase_order_sent.send(sender=PurchaseOrder, purchase_order=po, actor=actor)
    if order.status == OrderStatus.PAID:
        order_transition(
            order_id=order.pk,
            to=OrderStatus.IN_PROCESS,
            actor=actor,
            note=f"{po.label} sent to {po.vendor.name}.",
        )
    return po


@transaction.atomic
def po_cancel(*, purchase_order_id: int, actor: Actor) -> PurchaseOrder:
    """Cancel a PO and free its lines for another PO.

    Guarantees: a PO with a line its vendor already shipped is refused, naming those lines
    (nothing changes); a sent PO's vendor is told (`purchase_order_cancelled`: an outbox row);
    the timeline says so.
    """
    po = _po_locked(purchase_order_id)
    if po.status == Status.CANCELLED:
        raise PurchasingError(f"{po.label} is already cancelled.")
    lines = list(po.lines.select_for_update().select_related("order_line").order_by("pk"))
    shipped = [line for line in lines if line.quantity_shipped > 0]
    if shipped:
        raise PurchasingError(
            f"{po.label} cannot be cancelled: {po.vendor.name} already shipped "
            + ", ".join(f"{line.quantity_shipped} × {_sku(line.order_line)}" for line in shipped)
            + "."
        )
    was_sent = po.sent_at is not None
    po.cancelled_at = timezone.now()
    po.lines.update(is_open=False)
    fields = ["cancelled_at"]
    if was_sent and po.vendor.po_method == Vendor.PoMethod.EDI:
        po.edi_cancel_control_number = control_number_next(vendor_id=po.vendor_id)
        fields.append("edi_cancel_control_number")
    _save_status(po, *fields)
    order_event_add(
        order=po.order,
        kind=OrderEvent.Kind.PURCHASING,
        message=f"{po.label} to {po.vendor.name} cancelled; its items may go on another PO.",
        actor=actor,
    )
    if was_sent:
        purchase_order_cancelled.send(sender=PurchaseOrder, purchase_order=po, actor=actor)
    return po


@transaction.atomic
def po_lines_ship(
    *,
    purchase_order_id: int,
    lines: dict[int, int],
    carrier_id: int | None = None,
    carrier_name: str = "",
    tracking_numbers: list[str],
    override_reason: str = "",
    actor: Actor,
) -> Shipment:
    """Record a vendor's shipment of some of a PO's lines (PO line id -> units, partial
    quantities allowed) as a shipment of their order lines, by the vendor's carrier or a courier
    typed by name (kept for next time, as on the order page's shipment form).

    Guarantees: only a sent PO's own lines ship, none more than it still owes (PurchasingError
    naming it); the shipment is shipping's shipment_create (the same carrier check and
    override, the customer's shipped email, the order Shipped when nothing is left); the lines'
    shipped quantities change in the database and the PO's status follows; a refusal changes
    nothing.
    """
    po = _po_locked(purchase_order_id)
    if po.status == Status.DRAFT:
        raise PurchasingError(f"{po.label} has not been sent: send it before recording shipments.")
    if po.status == Status.CANCELLED:
        raise PurchasingError(f"{po.label} is cancelled: nothing ships on it.")
    po_lines = {
        line.pk: line
        for line in po.lines.select_for_update(of=("self",))
        .select_related("order_line")
        .order_by("pk")
    }
    wanted = _wanted_quantities(po, po_lines, lines)
    if not wanted:
        raise PurchasingError("Nothing to ship: enter how many of at least one item shipped.")
    shipment = shipment_create(
        order_id=po.order_id,
        carrier_id=carrier_id,
        carrier_name=carrier_name,
        tracking_numbers=tracking_numbers,
        lines={po_lines[pk].order_line_id: qty for pk, qty in wanted.items()},
        override_reason=override_reason,
        actor=actor,
    )
    for pk, qty in wanted.items():
        updated = PurchaseOrderLine.objects.filter(
            pk=pk, quantity_shipped__lte=F("quantity") - qty
        ).update(quantity_shipped=F("quantity_shipped") + qty)
        if updated != 1:
            raise PurchasingError("A PO line shipped meanwhile: reload the order and try again.")
    _save_status(po)
    po_lines_shipped.send(
        sender=PurchaseOrder, purchase_order=po, quantities=wanted, shipment=shipment, actor=actor
    )
    return shipment


def _wanted_quantities(po: PurchaseOrder, po_lines: dict, lines: dict[int, int]) -> dict:
    """The units entered per PO line, each checked against what the vendor still owes."""
    wanted = {}
    for pk, quantity in lines.items():
        line = po_lines.get(pk)
        if line is None:
            raise PurchasingError(f"An item entered is not on {po.label}.")
        if quantity < 0:
            raise PurchasingError(f"{line.vendor_sku}: a quantity cannot be negative.")
        if quantity > line.remaining:
            raise PurchasingError(
                f"{line.vendor_sku}: {po.vendor.name} still owes {line.remaining} of "
                f"{line.quantity}, so {quantity} cannot ship."
            )
        if quantity:
            wanted[pk] = quantity
    return wanted


def po_mark_transmitted(*, order_id: int, label: str) -> None:
    """The worker handed the PO to its vendor (email accepted, 850 in place): first time only."""
    PurchaseOrder.objects.filter(
        order_id=order_id, number=int(label.removeprefix("PO-")), transmitted_at__isnull=True
    ).update(transmitted_at=timezone.now())


@transaction.atomic
def vendor_host_key_accept(*, vendor_id: int) -> Vendor:
    """A store admin accepts the SFTP host key the vendor's server presented last (after
    checking its fingerprint with the vendor): it becomes the pinned key and transfers resume.
    Refused (PurchasingError) when no different key was seen."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
    if not vendor.sftp_host_key_seen or vendor.sftp_host_key_seen == vendor.sftp_host_key:
        raise PurchasingError(f"{vendor.name}'s SFTP server has presented no new host key.")
    vendor.sftp_host_key, vendor.sftp_host_key_seen = vendor.sftp_host_key_seen, ""
    vendor.save(update_fields=["sftp_host_key", "sftp_host_key_seen"])
    return vendor


@transaction.atomic
def vendor_save(*, vendor: Vendor, secret: dict | None) -> Vendor:
    """Save a vendor as a store admin set it (`vendor` is the form's unsaved instance).

    Guarantees: a new SFTP password or key is stored encrypted and replaces the old (None keeps
    it); a new SFTP host or port forgets the pinned host key (it is another server: the next
    successful connection pins its key).
    """
    if vendor.pk:
        before = Vendor.objects.select_for_update().get(pk=vendor.pk)
        if (before.sftp_host, before.sftp_port) != (vendor.sftp_host, vendor.sftp_port):
            vendor.sftp_host_key = vendor.sftp_host_key_seen = ""
    if secret is not None:
        vendor.sftp_secret = crypto.encrypt(secret)
    vendor.save()
    return vendor


def order_pos_cancel(*, order: Order, to_status: str, actor: Actor) -> list[PurchaseOrder]:
    """An order is being rolled back or cancelled (inside its transition's transaction, order
    row locked): cancel its open POs, each sent one's vendor told (po_cancel).

    Guarantees: if a vendor already shipped any line, nothing is cancelled and PurchasingError
    names the POs and lines (the transition, and everything in its transaction, rolls back).
    """
    pos = list(
        PurchaseOrder.objects.open()
        .filter(order=order)
        .select_related("vendor")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    shipped = list(
        PurchaseOrderLine.objects.filter(purchase_order__in=pos, quantity_shipped__gt=0)
        .select_related("order_line", "purchase_order__vendor")
        .order_by("pk")
    )
    if shipped:
        what = "; ".join(
            f"{pl.purchase_order.vendor.name} already shipped {pl.quantity_shipped} × "
            f"{_sku(pl.order_line)} on {pl.purchase_order.label}"
            for pl in shipped
        )
        verb = "rolled back" if to_status == OrderStatus.PENDING else "cancelled"
        raise PurchasingError(
            f"Order #{order.number} cannot be {verb}: {what}. Its POs cannot be cancelled."
        )
    return [po_cancel(purchase_order_id=po.pk, actor=actor) for po in pos]


AUTOMATION = Actor.system("Drop-ship automation")


def _automatic_choices(order: Order) -> tuple[dict[int, int], list[str]]:
    """For the automation: each line still to send and on no open PO, with its product's
    default vendor (line id -> vendor id), and the lines left for staff with the reason."""
    on_open = set(
        PurchaseOrderLine.objects.filter(order_line__order=order, is_open=True).values_list(
            "order_line_id", flat=True
        )
    )
    lines = [
        line
        for line in order.lines.order_by("pk")
        if line.is_shippable and line.quantity > line.quantity_fulfilled and line.pk not in on_open
    ]
    defaults = {
        link.product_id: link.vendor
        for link in ProductVendor.objects.filter(
            product_id__in={line.product_id for line in lines}, is_default=True
        ).select_related("vendor")
    }
    choices, left = {}, []
    for line in lines:
        vendor = defaults.get(line.product_id)
        problem = (
            "its product has no default vendor" if vendor is None else vendor_method_problem(vendor)
        )
        if problem:
            left.append(f"{_sku(line)} ({problem.rstrip('.')})")
        else:
            choices[line.pk] = vendor.pk
    return choices, left


def po_automate_for_order(*, order_id: int) -> list[PurchaseOrder]:
    """The automation (PurchasingSettings.automate_drop_ship) for a newly paid order: the lines
    that ship, still have units to send, are on no open PO and whose product has a default
    vendor that can receive POs go on POs to those vendors, sent at once.

    Guarantees: nothing when the setting is off, the order is not Paid (staff moved it on) or is
    high risk; the timeline says what was sent and which lines were left for staff and why;
    a refusal (a line taken meanwhile) is recorded in the timeline, not raised.
    """
    from .models import PurchasingSettings

    if not PurchasingSettings.load().automate_drop_ship:
        return []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.PAID or order.risk_level == RiskLevel.HIGH:
            return []
        choices, left = _automatic_choices(order)
        if not choices and not left:
            return []
        pos = []
        if choices:
            try:
                with transaction.atomic():
                    pos = po_create_for_order(
                        order_id=order.pk, choices=choices, send=True, actor=AUTOMATION
                    )
            except PurchasingError as exc:
                left.append(str(exc))
        message = "Drop-ship automation: "
        message += (
            "sent " + ", ".join(f"{po.label} to {po.vendor.name}" for po in pos)
            if pos
            else "no PO sent"
        )
        if left:
            message += "; left for staff: " + "; ".join(left)
        order_event_add(
            order=order, kind=OrderEvent.Kind.PURCHASING, message=message + ".", actor=AUTOMATION
        )
        return pos
