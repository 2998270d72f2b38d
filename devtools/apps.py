from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Seed, bench, demo data and the fault-test harness. Never imported by the product and left
    out of INSTALLED_APPS in production (settings add it when BACKOFFICE_DEVTOOLS is on)."""

    name = "devtools"
    verbose_name = "Developer tools"
