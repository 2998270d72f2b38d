from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    from .roles import ensure_roles

    ensure_roles()


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Backoffice"

    def ready(self):
        from .auth import connect_invalidation

        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="backoffice_ensure_roles")
        connect_invalidation()
