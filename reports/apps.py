from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from orders.signals import order_status_changed
        from purchasing.signals import po_lines_shipped

        from . import receivers, sources  # noqa: F401  (sources registers the exportable lists)

        order_status_changed.connect(
            receivers.on_order_status_changed, dispatch_uid="reports.on_order_status_changed"
        )
        po_lines_shipped.connect(
            receivers.on_po_lines_shipped, dispatch_uid="reports.on_po_lines_shipped"
        )
