from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "purchasing"

    def ready(self):
        from orders import list_conditions, panels
        from orders.signals import order_status_changed

        from . import receivers
        from .panels import purchase_orders_panel
        from .selectors import needs_po_q

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
        list_conditions.register_condition(
            list_conditions.Condition(
                name="needs_po",
                label="Needs a PO",
                empty_label="Any PO state",
                q=needs_po_q,
            )
        )
