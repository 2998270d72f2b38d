"""Lower apps' signals turned into outbox rows, in the transaction that sent them."""

from catalog.models import SerialCode
from orders.models import DownloadLink, OrderStatus

from .emails import digital_goods_key
from .models import OutboxMessage
from .services import outbox_enqueue

Kind = OutboxMessage.Kind


def on_order_status_changed(sender, *, order, to_status, actor, **kwargs):
    if to_status == OrderStatus.DELIVERED:
        outbox_enqueue(order=order, kind=Kind.DELIVERED, subject_key="order", actor=actor)
    elif to_status == OrderStatus.PAID and (
        DownloadLink.objects.filter(line__order=order, revoked_at__isnull=True).exists()
        or SerialCode.objects.filter(
            allocation_reference=order.reference, status=SerialCode.Status.ASSIGNED
        ).exists()
    ):
        outbox_enqueue(
            order=order, kind=Kind.DIGITAL_GOODS, subject_key=digital_goods_key(order), actor=actor
        )


def on_shipment_recorded(sender, *, shipment, actor, **kwargs):
    outbox_enqueue(
        order=shipment.order, kind=Kind.SHIPPED, subject_key=f"shipment:{shipment.pk}", actor=actor
    )


def on_tracking_updated(sender, *, tracking_number, actor, **kwargs):
    # One email per version of the number: a second correction is news, a repeated signal not.
    version = f"{tracking_number.updated_at.timestamp():.6f}"
    outbox_enqueue(
        order=tracking_number.shipment.order,
        kind=Kind.TRACKING_UPDATED,
        subject_key=f"tracking:{tracking_number.pk}:{version}",
        actor=actor,
    )


def on_payment_update_requested(sender, *, order, actor, event, **kwargs):
    outbox_enqueue(
        order=order,
        kind=Kind.PAYMENT_UPDATE_REQUEST,
        subject_key=f"request:{event.pk}",
        actor=actor,
    )


def on_purchase_order_sent(sender, *, purchase_order, actor, **kwargs):
    _purchase_order_enqueue(purchase_order, Kind.PURCHASE_ORDER, actor)


def on_purchase_order_cancelled(sender, *, purchase_order, actor, **kwargs):
    _purchase_order_enqueue(purchase_order, Kind.PURCHASE_ORDER_CANCEL, actor)


def _purchase_order_enqueue(po, kind, actor):
    vendor = po.vendor
    emailed = vendor.po_method == vendor.PoMethod.EMAIL
    outbox_enqueue(
        order=po.order,
        kind=kind,
        subject_key=po.label,
        actor=actor,
        to_email=vendor.po_emails[0] if emailed and vendor.po_emails else "",
    )
