"""What each kind of email says: its subject, sender, recipient and parts, rendered by `render`
from an `EmailFacts`.

The worker loads the facts from the order as it is when it sends (`facts_for`: a corrected
tracking number goes out corrected). A store admin's preview (`notifications.previews`) builds
them in memory, or loads them with `facts_for` without issuing a tracking token, and renders
them with the same `render`: what the preview shows is what the worker would send.
"""

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template.loader import render_to_string

from catalog.models import SerialCode
from core.formatting import money_label
from orders.models import DownloadLink, Order, OrderLine, OrderStatus
from shipping.models import Shipment, TrackingNumber
from shipping.tracking import tracking_url_for

from .models import EmailSettings, OutboxMessage

Kind = OutboxMessage.Kind


class EmailSkipped(Exception):
    """The email no longer applies; the message says why (it goes to the timeline)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    from_email: str
    to_email: str
    text: str
    html: str
    reply_to: str = ""
    # The serial codes the email carries: marked delivered before it leaves.
    serial_code_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TrackingLink:
    number: str
    url: str  # "" when the carrier has no tracking page


@dataclass(frozen=True)
class Download:
    name: str
    url: str


@dataclass(frozen=True)
class ParcelItem:
    name: str
    quantity: int


@dataclass(frozen=True)
class Parcel:
    carrier_name: str
    tracking: tuple[TrackingLink, ...]
    items: tuple[ParcelItem, ...]


@dataclass(frozen=True)
class DigitalItem:
    name: str
    links: tuple[Download, ...]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class EmailFacts:
    """Everything one email says, already fetched: rendering it reads no database."""

    kind: str
    order: Order
    to_email: str
    lines: tuple[OrderLine, ...]
    tracking_page_url: str = ""
    parcel: Parcel | None = None  # shipped, tracking updated
    updated: TrackingLink | None = None  # tracking updated: the corrected number
    digital_items: tuple[DigitalItem, ...] = ()
    serial_code_ids: tuple[int, ...] = ()  # digital goods: the codes in `digital_items`
    sale_reversed: bool = False  # digital goods: the payment it announced was rolled back


SUBJECTS = {
    Kind.SHIPPED: "{store}: order #{number} has shipped",
    Kind.TRACKING_UPDATED: "{store}: new tracking for order #{number}",
    Kind.DELIVERED: "{store}: order #{number} was delivered",
    Kind.DIGITAL_GOODS: "{store}: your downloads for order #{number}",
    Kind.PAYMENT_UPDATE_REQUEST: "{store}: please update your payment method for order #{number}",
}

# The kinds whose email links to the customer's tracking page.
WITH_TRACKING_PAGE = {Kind.SHIPPED, Kind.DELIVERED}


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Sender:
    from_email: str  # "Name <address>"
    reply_to: str = ""


def sender() -> Sender:
    """The From (and Reply-To) of every customer email: the store admins' email settings, with
    the server's DEFAULT_FROM_EMAIL (its name, else STORE_NAME) for what they left empty."""
    chosen = EmailSettings.current()
    default_name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = chosen.sender_name or default_name or settings.STORE_NAME
    address = chosen.sender_email or default_address or settings.DEFAULT_FROM_EMAIL
    return Sender(from_email=formataddr((name, address)), reply_to=chosen.reply_to)


def _parcel(shipment: Shipment) -> Parcel:
    carrier = shipment.carrier
    return Parcel(
        carrier_name=carrier.name,
        tracking=tuple(
            TrackingLink(t.number, carrier.tracking_url(t.number))
            for t in shipment.tracking_numbers.all()
        ),
        items=tuple(ParcelItem(sl.order_line.label, sl.quantity) for sl in shipment.lines.all()),
    )


def _shipment(pk: int) -> Shipment:
    return (
        Shipment.objects.select_related("carrier")
        .prefetch_related("tracking_numbers", "lines__order_line")
        .get(pk=pk)
    )


def digital_goods_key(order: Order) -> str:
    """The outbox subject of the digital-goods email for the order's current payment.

    One email per payment, not per order: a re-payment after a rollback hands out fresh codes
    and links, and its email must not be taken for the first one's by the outbox's
    (order, kind, subject) key."""
    return f"sale:{order.paid_at.timestamp():.6f}" if order.paid_at else "order"


def _digital_items(
    order: Order, lines: list[OrderLine]
) -> tuple[tuple[DigitalItem, ...], tuple[int, ...]]:
    links_by_line: dict[int, list[Download]] = {}
    for link in (
        DownloadLink.objects.filter(line__order=order).select_related("digital_file").order_by("id")
    ):
        if link.is_live:
            links_by_line.setdefault(link.line_id, []).append(
                Download(str(link.digital_file), absolute(link.get_absolute_url()))
            )
    # Codes point at the order; a variant's codes go to its lines in line order (as allocated).
    # Only the codes the buyer holds now: retired ones (a rolled-back sale's) are not theirs.
    codes_by_variant: dict[int, list[tuple[int, str]]] = {}
    for pk, variant_id, code in (
        SerialCode.objects.filter(
            allocation_reference=order.reference, status=SerialCode.Status.ASSIGNED
        )
        .order_by("id")
        .values_list("pk", "variant_id", "code")
    ):
        codes_by_variant.setdefault(variant_id, []).append((pk, code))
    items, code_ids = [], []
    for line in lines:
        links = links_by_line.get(line.pk, [])
        pool = codes_by_variant.get(line.variant_id, [])
        codes, codes_by_variant[line.variant_id] = pool[: line.quantity], pool[line.quantity :]
        code_ids.extend(pk for pk, _ in codes)
        if links or codes:
            items.append(DigitalItem(line.name, tuple(links), tuple(code for _, code in codes)))
    return tuple(items), tuple(code_ids)


def facts_for(
    message: OutboxMessage, *, tracking_page_url: Callable[[Order], str] = tracking_url_for
) -> EmailFacts:
    """The facts of an outbox message's email, read from the database now.

    `tracking_page_url` gives the order's tracking-page link: by default the live token's,
    issued on first need (the worker); a preview passes one that issues nothing."""
    order = message.order
    lines = tuple(order.lines.all())
    facts = {"kind": message.kind, "order": order, "to_email": message.to_email, "lines": lines}
    if message.kind in WITH_TRACKING_PAGE:
        facts["tracking_page_url"] = tracking_page_url(order)
    _, _, rest = message.subject_key.partition(":")
    if message.kind == Kind.SHIPPED:
        facts["parcel"] = _parcel(_shipment(int(rest)))
    elif message.kind == Kind.TRACKING_UPDATED:
        number = TrackingNumber.objects.get(pk=int(rest.split(":")[0]))
        shipment = _shipment(number.shipment_id)
        facts["parcel"] = _parcel(shipment)
        facts["updated"] = TrackingLink(number.number, shipment.carrier.tracking_url(number.number))
    elif message.kind == Kind.DIGITAL_GOODS:
        facts["digital_items"], facts["serial_code_ids"] = _digital_items(order, list(lines))
        # An email about an earlier payment (its key names that payment) announces nothing now.
        facts["sale_reversed"] = message.subject_key.startswith("sale:") and (
            message.subject_key != digital_goods_key(order)
        )
    return EmailFacts(**facts)


def _check_still_applies(facts: EmailFacts) -> None:
    order = facts.order
    if facts.kind == Kind.DIGITAL_GOODS and facts.sale_reversed:
        raise EmailSkipped(
            f"Digital goods email not sent: the payment of order #{order.number} it announced "
            "was rolled back."
        )
    if facts.kind == Kind.DIGITAL_GOODS and not facts.digital_items:
        raise EmailSkipped(f"Digital goods email not sent: order #{order.number} has none now.")
    if facts.kind == Kind.PAYMENT_UPDATE_REQUEST and order.status != OrderStatus.PENDING:
        raise EmailSkipped(
            f"Payment update request not sent: the order is {order.get_status_display()} now."
        )


def render(facts: EmailFacts, *, sending: Sender | None = None) -> RenderedEmail:
    """The email these facts make, with the store's name and sender from the settings.

    Raises EmailSkipped when it no longer applies (a paid order's payment update request,
    digital goods since rolled back). Reads no database but the sender settings (one row),
    and not even that when `sending` is given."""
    sending = sending or sender()
    _check_still_applies(facts)
    order = facts.order
    context = {
        "store_name": settings.STORE_NAME,
        "order": order,
        "customer_name": order.customer_name,
        "total": money_label(order.total, order.currency),
        # Only what ships is delivered: digital goods and licences have their own email.
        "shipped_lines": tuple(line for line in facts.lines if line.is_shippable),
        "tracking_page_url": facts.tracking_page_url,
        "updated": facts.updated,
        "digital_items": facts.digital_items,
    }
    if facts.parcel is not None:
        context.update(
            carrier_name=facts.parcel.carrier_name,
            tracking=facts.parcel.tracking,
            items=facts.parcel.items,
        )
    template = f"notifications/email/{facts.kind}"
    return RenderedEmail(
        subject=SUBJECTS[facts.kind].format(store=settings.STORE_NAME, number=order.number),
        from_email=sending.from_email,
        reply_to=sending.reply_to,
        to_email=facts.to_email,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        serial_code_ids=facts.serial_code_ids,
    )


def render_email(message: OutboxMessage) -> RenderedEmail:
    """What the worker sends for an outbox message, rendered from the order as it is now."""
    return render(facts_for(message))
