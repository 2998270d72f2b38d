from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from orders import panels
        from orders.signals import order_status_changed
        from payments.signals import payment_update_requested
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
        panels.register(EMAIL_PANEL)
