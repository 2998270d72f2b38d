from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _known_carriers(sender, **kwargs):
    from .services import known_carriers_ensure

    known_carriers_ensure()


class ShippingConfig(AppConfig):
    name = "shipping"

    def ready(self):
        from orders import moves, panels
        from orders.grid.registry import register_action

        from .grid import FLAG_SENT
        from .moves import SHIPPED_IN_ROW
        from .panels import SHIPPING_PANEL

        post_migrate.connect(_known_carriers, sender=self, dispatch_uid="shipping_known_carriers")
        panels.register(SHIPPING_PANEL)
        moves.register(SHIPPED_IN_ROW)
        register_action(FLAG_SENT)
