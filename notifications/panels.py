"""The order page's Emails section: every outbox message of the order, failed ones retryable."""

from django.http import HttpRequest

from orders.models import Order
from orders.panels import Panel

from .models import OutboxMessage


def email_panel(request: HttpRequest, order: Order) -> dict | None:
    messages = list(OutboxMessage.objects.filter(order=order).order_by("created_at", "id"))
    if not messages:
        return None
    return {
        "messages": messages,
        "can_retry": request.user.has_perm("notifications.change_outboxmessage"),
    }


EMAIL_PANEL = Panel(
    name="emails",
    template="notifications/_order_panel.html",
    context=email_panel,
    column="side",
    position=60,
)
