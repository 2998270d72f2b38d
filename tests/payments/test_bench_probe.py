import pytest

from devtools.benchmarking import Context, NotificationProbe
from orders.models import Order
from payments.models import Gateway, GatewayNotification, Payment
from tests.payments.factories import GatewayFactory


def test_notification_probe_without_a_server_is_not_applicable():
    assert NotificationProbe().run(Context()).status == "n/a (no server)"


@pytest.mark.django_db(transaction=True)
def test_notification_probe_pays_orders_through_a_server_and_cleans_up(live_server):
    previous = GatewayFactory(name="The store's gateway")
    orders_before = Order.objects.count()

    result = NotificationProbe().run(
        Context(intake_url=live_server.url, notifications=20, concurrency=4)
    )

    assert result.status == "200"
    assert result.throughput > 0 and result.unit == "notifications/s"
    assert result.median_ms > 0
    assert Order.objects.count() == orders_before
    assert not Payment.objects.exists() and not GatewayNotification.objects.exists()
    assert list(Gateway.objects.values_list("pk", "is_active")) == [(previous.pk, True)]
