"""The failed-emails page's table (django-tables2), paged so every failed email can be seen."""

import django_tables2 as tables

from .models import OutboxMessage

RETRY_BUTTON = """{% if perms.notifications.change_outboxmessage %}
<form method="post" action="{% url 'notifications:retry' record.pk %}">{% csrf_token %}
<input type="hidden" name="next" value="failed">
<button type="submit" class="btn btn-small">Retry</button></form>{% endif %}"""


class FailedEmailTable(tables.Table):
    order = tables.Column(
        accessor="order__number", verbose_name="Order", linkify=lambda record: record.order
    )
    kind = tables.Column(verbose_name="Email")
    to_email = tables.Column(verbose_name="To")
    attempts = tables.Column()
    last_error = tables.Column(verbose_name="Error", attrs={"td": {"class": "small"}})
    retry = tables.TemplateColumn(RETRY_BUTTON, verbose_name="", orderable=False)

    class Meta:
        model = OutboxMessage
        fields = ("order", "kind", "to_email", "attempts", "last_error")
        orderable = False
        attrs = {"class": "table"}
        empty_text = "No failed emails."

    def render_order(self, value):
        return f"#{value}"
