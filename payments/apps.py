from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from orders.signals import order_status_changed

        from .services import on_order_status_changed

        order_status_changed.connect(
            on_order_status_changed, dispatch_uid="payments.on_order_status_changed"
        )
