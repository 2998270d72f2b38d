"""Sections that apps above orders add to the order page (payments, invoices, shipments, …).

orders may not import them (the layer contract), so they register here from their
`AppConfig.ready()`: a template and a function that returns its context. Each context function
runs a constant number of queries whatever the order's size, and the page renders the panels
in `position` order, in the main column or the side column, or among the order's actions
(payment, status: atop the side column on a wide screen, first on the page on a narrow one).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Order


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[HttpRequest, Order], dict | None]  # None: nothing to show for this order
    column: str = "main"  # "main", "side" or "actions"
    position: int = 50
    permission: str = ""  # shown only to users with it


_registry: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _registry[panel.name] = panel


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    context: dict


def panels_for(request: HttpRequest, order: Order) -> dict[str, list[RenderedPanel]]:
    columns: dict[str, list[RenderedPanel]] = {"actions": [], "main": [], "side": []}
    for panel in sorted(_registry.values(), key=lambda p: (p.position, p.name)):
        if panel.permission and not request.user.has_perm(panel.permission):
            continue
        context = panel.context(request, order)
        if context is not None:
            columns[panel.column].append(RenderedPanel(panel, context))
    return columns
