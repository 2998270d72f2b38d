from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "purchasing"

    def ready(self):
        from orders import panels

        from .panels import purchase_orders_panel

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
