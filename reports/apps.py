from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from . import sources  # noqa: F401  (registers the exportable lists)
