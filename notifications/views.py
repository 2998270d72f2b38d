from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from orders.actors import Actor
from orders.views import order_detail_response

from . import previews
from .emails import sender
from .forms import EmailSenderForm, PreviewOrderForm
from .models import EmailSettings, OutboxMessage
from .services import NotificationError, outbox_retry, outbox_retry_all
from .tables import FailedEmailTable

CHANGE = "notifications.change_outboxmessage"
# A preview may show a real order's email, so it takes seeing orders as well.
PREVIEW = ["notifications.preview_emails", "orders.view_order"]
CHANGE_SENDER = "notifications.change_emailsettings"
FAILED_PER_PAGE = 100


@require_GET
@permission_required(
    ["orders.view_order", "notifications.view_outboxmessage"], raise_exception=True
)
def failed_list(request):
    """Every failed email, newest failure first, a page at a time."""
    failed = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED)
        .select_related("order")
        .order_by("-next_attempt_at", "-id")
    )
    table = FailedEmailTable(failed)
    RequestConfig(request, paginate={"per_page": FAILED_PER_PAGE}).configure(table)
    return render(request, "notifications/failed_list.html", {"table": table})


@require_POST
@permission_required(["orders.view_order", CHANGE], raise_exception=True)
def retry_all(request):
    retried = outbox_retry_all(actor=Actor.of(request.user))
    messages.success(request, f"{retried} failed email{pluralize(retried)} retried.")
    return redirect("notifications:failed")


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


def _sending_as(request, form=None) -> dict:
    sending = sender()
    context = {
        "store_name": settings.STORE_NAME,
        "from_email": sending.from_email,
        "reply_to": sending.reply_to,
    }
    if request.user.has_perm(CHANGE_SENDER):
        context["sender_form"] = form or EmailSenderForm(instance=EmailSettings.current())
    return context


@require_GET
@permission_required(PREVIEW, raise_exception=True)
def email_list(request):
    """Settings → Emails: each customer email, what sends it, and the store name and sender."""
    return render(
        request,
        "settings/email_list.html",
        {"kinds": previews.email_kinds(), **_sending_as(request)},
    )


@require_GET
@permission_required(PREVIEW, raise_exception=True)
# The preview's srcdoc frame inherits this page's policy: the email's style="" attributes
# (email clients need them) may apply; the frame is sandboxed, so it runs no script anyway.
@csp_update({"style-src-attr": [UNSAFE_INLINE]})
def email_preview(request, kind: str):
    """One kind of email as the worker renders it: for the sample order (built in memory,
    never saved) or for a real order picked by number. Writes nothing."""
    email_kind = previews.email_kind(kind)
    if email_kind is None:
        raise Http404("No such email.")
    form = PreviewOrderForm(request.GET)
    order = None
    if form.is_valid() and form.cleaned_data["order"]:
        number = form.cleaned_data["order"]
        order = previews.order_for_preview(number)
        if order is None:
            form.add_error("order", f"There is no order #{number}: showing the sample order.")
    preview = (
        previews.preview_order(order, email_kind) if order else previews.preview_sample(email_kind)
    )
    context = {
        "kinds": previews.email_kinds(),
        "preview": preview,
        "order": order,
        "form": form,
        **_sending_as(request),
    }
    return render(request, "settings/email_preview.html", context)


@require_POST
@permission_required([*PREVIEW, CHANGE_SENDER], raise_exception=True)
def email_sender_update(request):
    """Settings → Emails: who customer emails come from. Applies to every email sent from now
    on, queued ones included (the worker renders them when it sends)."""
    form = EmailSenderForm(request.POST, instance=EmailSettings.current())
    if not form.is_valid():
        messages.error(request, "The sender was not saved: check the fields below.")
        context = {"kinds": previews.email_kinds(), **_sending_as(request, form)}
        return render(request, "settings/email_list.html", context, status=400)
    form.save()
    messages.success(request, f"Customer emails now come from {sender().from_email}.")
    return redirect("notifications:email_list")
