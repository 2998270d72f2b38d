from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from orders.actors import Actor
from orders.views import order_detail_response

from .models import OutboxMessage
from .services import NotificationError, outbox_retry

CHANGE = "notifications.change_outboxmessage"


@require_GET
@permission_required(
    ["orders.view_order", "notifications.view_outboxmessage"], raise_exception=True
)
def failed_list(request):
    failed = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED)
        .select_related("order")
        .order_by("-next_attempt_at", "-id")[:200]
    )
    return render(request, "notifications/failed_list.html", {"failed": failed})


@require_POST
@permission_required(["orders.view_order", CHANGE], raise_exception=True)
def retry(request, pk: int):
    message = get_object_or_404(OutboxMessage.objects.select_related("order"), pk=pk)
    number = message.order.number
    try:
        outbox_retry(message_id=message.pk, actor=Actor.of(request.user))
    except NotificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{message.get_kind_display()} email to {message.to_email} retried."
        )
    if request.POST.get("next") == "failed":
        return redirect("notifications:failed")
    if request.htmx:
        return order_detail_response(request, number)
    return redirect("orders:detail", number=number)
