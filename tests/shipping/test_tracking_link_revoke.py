"""Staff revoke an order's customer tracking link from the shipping panel: the old link gets
the tracking page's not-found answer, later emails carry a new one, the timeline says who."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.emails import render_email
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from shipping import tracking
from shipping.models import Carrier, OrderTracking, Shipment, ShipmentLine, TrackingNumber
from tests.factories import UserFactory, order_with_lines

pytestmark = pytest.mark.django_db
REVOKE = "Revoke tracking link"


def shipped_order(**fields):
    order = order_with_lines(lines=1, status=OrderStatus.SHIPPED, **fields)
    shipment = Shipment.objects.create(
        order=order, carrier=Carrier.objects.get(code="ups"), shipped_on=datetime.date(2024, 5, 1)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=1)
    TrackingNumber.objects.create(shipment=shipment, number="1Z999AA10123456784")
    return order


def revoke_url(order):
    return reverse("shipping:tracking_link_revoke", args=[order.number])


def track(client, token):
    return client.get(reverse("shipping:track", args=[token]))


def test_staff_revoke_the_link_and_it_answers_like_an_unknown_token(client, staff_user):
    order = shipped_order()
    old = tracking.tracking_token_for(order)
    client.force_login(staff_user)

    response = client.post(revoke_url(order))
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()

    new = tracking.tracking_token_for(order)
    assert new != old
    client.logout()  # the tracking page is the customer's: no login
    revoked, unknown = track(client, old), track(client, "no-such-token-at-all")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert track(client, new).status_code == 200


def test_the_timeline_records_who_revoked_the_link(staff_client, staff_user):
    order = shipped_order()
    tracking.tracking_token_for(order)
    page = staff_client.post(revoke_url(order), follow=True).content.decode()

    event = order.events.get(kind=OrderEvent.Kind.SHIPPING)
    assert event.message.startswith("Customer tracking link revoked")
    assert event.actor == staff_user
    assert "Customer tracking link revoked" in page
    assert f"The tracking link of order #{order.number} is revoked" in page


def test_under_htmx_the_order_partial_comes_back_with_the_message(staff_client):
    order = shipped_order()
    tracking.tracking_token_for(order)
    response = staff_client.post(revoke_url(order), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="order-detail"' in html
    assert "<html" not in html
    assert f"The tracking link of order #{order.number} is revoked" in html
    assert OrderTracking.objects.filter(order=order, revoked_at__isnull=False).count() == 1


def test_later_emails_carry_the_new_link(staff_client):
    order = shipped_order()
    old = tracking.tracking_token_for(order)
    message = outbox_enqueue(  # queued before the revoke, sent after it
        order=order, kind=OutboxMessage.Kind.DELIVERED, subject_key="order", actor=Actor.system()
    )
    staff_client.post(revoke_url(order))

    email = render_email(message)
    new = OrderTracking.objects.get(order=order, revoked_at__isnull=True).token
    for part in (email.text, email.html):
        assert tracking.tracking_url(new) in part
        assert old not in part


def test_the_panel_offers_revoke_only_for_a_live_link(staff_client):
    order = shipped_order()
    detail = order.get_absolute_url()
    assert REVOKE not in staff_client.get(detail).content.decode()  # no email carried one yet

    issued = timezone.localtime(OrderTracking.objects.create(order=order).created_at)
    html = staff_client.get(detail).content.decode()
    assert REVOKE in html
    assert f'action="{revoke_url(order)}"' in html
    assert f'hx-post="{revoke_url(order)}"' in html
    assert "data-confirm=" in html and "csrfmiddlewaretoken" in html
    assert f'issued <time datetime="{issued.isoformat()}">{issued:%b} {issued.day},' in html


def test_an_order_without_a_live_link_has_nothing_to_revoke(staff_client):
    order = shipped_order()
    html = staff_client.post(revoke_url(order), follow=True).content.decode()
    assert f"Order #{order.number} has no tracking link to revoke." in html
    assert not OrderTracking.objects.exists()
    assert not order.events.filter(kind=OrderEvent.Kind.SHIPPING).exists()


def test_only_staff_who_change_orders_may_revoke(client):
    order = shipped_order()
    token = tracking.tracking_token_for(order)
    viewer = UserFactory()
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    assert client.post(revoke_url(order)).status_code == 403
    assert REVOKE not in client.get(order.get_absolute_url()).content.decode()
    client.logout()
    assert client.post(revoke_url(order)).status_code == 302  # to the login page
    assert tracking.tracking_token_for(order) == token
    assert OrderTracking.objects.count() == 1


def test_the_order_page_runs_no_more_queries_with_the_revoke_action(staff_client):
    without_link, with_link = shipped_order(), shipped_order()
    tracking.tracking_token_for(with_link)
    staff_client.get(reverse("orders:list"))  # warm: session and permissions come from cache
    with CaptureQueriesContext(connection) as plain:
        assert REVOKE not in staff_client.get(without_link.get_absolute_url()).content.decode()
    with CaptureQueriesContext(connection) as offered:
        assert REVOKE in staff_client.get(with_link.get_absolute_url()).content.decode()
    assert len(offered) == len(plain)
