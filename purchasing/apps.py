from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "purchasing"

    def ready(self):
        from orders import panels
        from orders.signals import order_status_changed

        from . import receivers
        from .panels import purchase_orders_panel

        order_status_changed.connect(
            receivers.on_order_status_changed, dispatch_uid="purchasing.on_order_status_changed"
        )
        panels.register(
            panels.Panel(
                name="purchasing",
                template="purchasing/_order_panel.html",
                context=purchase_orders_panel,
                column="main",
                position=15,
                permission="purchasing.view_purchaseorder",
            )
        )
