from django.apps import AppConfig


class EntryConfig(AppConfig):
    name = "entry"
    verbose_name = "Order entry"

    def ready(self):
        from orders.signals import order_status_changed

        from . import receivers

        order_status_changed.connect(
            receivers.on_order_status_changed, dispatch_uid="entry.on_order_status_changed"
        )
