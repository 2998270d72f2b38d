from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self):
        from orders.grid.registry import register_link
        from orders.panels import Panel, register
        from orders.signals import order_status_changed

        from .grid import INVOICE_LINK
        from .selectors import order_invoices_panel
        from .services import on_order_status_changed

        order_status_changed.connect(
            on_order_status_changed, dispatch_uid="invoicing.on_order_status_changed"
        )
        register(
            Panel(
                name="invoices",
                template="invoicing/_order_panel.html",
                context=order_invoices_panel,
                column="main",
                position=30,
                permission="invoicing.view_invoice",
            )
        )
        register_link(INVOICE_LINK)
