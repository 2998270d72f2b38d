from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from orders import panels
        from orders.signals import order_placed, order_status_changed

        from .automation import on_order_placed
        from .panels import PAYMENT_PANEL
        from .services import on_order_status_changed

        order_status_changed.connect(
            on_order_status_changed, dispatch_uid="payments.on_order_status_changed"
        )
        order_placed.connect(on_order_placed, dispatch_uid="payments.on_order_placed")
        panels.register(PAYMENT_PANEL)
