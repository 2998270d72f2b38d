from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from orders import panels
        from orders.signals import order_status_changed
        from payments.signals import payment_update_requested
        from purchasing.signals import purchase_order_cancelled, purchase_order_sent
        from shipping.signals import shipment_recorded, tracking_updated

        from . import receivers
        from .panels import EMAIL_PANEL

        order_status_changed.connect(
            receivers.on_order_status_changed, dispatch_uid="notifications.on_order_status_changed"
        )
        shipment_recorded.connect(
            receivers.on_shipment_recorded, dispatch_uid="notifications.on_shipment_recorded"
        )
        tracking_updated.connect(
            receivers.on_tracking_updated, dispatch_uid="notifications.on_tracking_updated"
        )
        payment_update_requested.connect(
            receivers.on_payment_update_requested,
            dispatch_uid="notifications.on_payment_update_requested",
        )
        purchase_order_sent.connect(
            receivers.on_purchase_order_sent, dispatch_uid="notifications.on_purchase_order_sent"
        )
        purchase_order_cancelled.connect(
            receivers.on_purchase_order_cancelled,
            dispatch_uid="notifications.on_purchase_order_cancelled",
        )
        panels.register(EMAIL_PANEL)
