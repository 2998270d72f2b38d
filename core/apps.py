from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground every app may import and that imports no app (see STYLE.md)."""

    name = "core"
    verbose_name = "Core"
