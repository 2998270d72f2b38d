"""Settings → Emails: store admins preview each customer email, rendered as the worker renders
it, without writing anything."""

import datetime
import html as htmllib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from catalog.models import SerialCode
from notifications import previews
from notifications.emails import SUBJECTS, Sender, render_email, sender
from notifications.models import EmailSettings, OutboxMessage
from notifications.services import SENT, outbox_deliver, outbox_enqueue
from orders.actors import Actor
from orders.models import OrderStatus
from shipping import tracking
from shipping.models import Carrier, OrderTracking, Shipment, ShipmentLine, TrackingNumber
from tests.factories import OrderLineFactory, UserFactory, VariantFactory, order_with_lines

pytestmark = pytest.mark.django_db
Kind = OutboxMessage.Kind
LIST = reverse("notifications:email_list")
UPS = "1Z999AA10123456784"


def preview_url(kind, order=None):
    url = reverse("notifications:email_preview", args=[kind])
    return f"{url}?order={order.number}" if order else url


def shipped_order(**fields):
    order = order_with_lines(lines=2, status=OrderStatus.SHIPPED, **fields)
    shipment = Shipment.objects.create(
        order=order, carrier=Carrier.objects.get(code="ups"), shipped_on=datetime.date(2024, 5, 1)
    )
    for line in order.lines.all():
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=line.quantity)
    TrackingNumber.objects.create(shipment=shipment, number=UPS)
    return order


def srcdoc(page: str) -> str:
    """The HTML part as the iframe gets it: the srcdoc attribute, unescaped once."""
    (value,) = re.findall(r'<iframe[^>]*\ssrcdoc="([^"]*)"', page)
    return htmllib.unescape(value)


def written_rows() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_store_admins_see_every_email_and_what_sends_it(store_admin_client, settings):
    settings.STORE_NAME = "Harbour Books"
    settings.DEFAULT_FROM_EMAIL = "Harbour Books <orders@harbourbooks.test>"
    html = store_admin_client.get(LIST).content.decode()
    for kind in previews.email_kinds():
        assert kind.label in html
        assert escape(kind.trigger) in html
        assert preview_url(kind.value) in html
    assert "Harbour Books" in html
    assert "Harbour Books &lt;orders@harbourbooks.test&gt;" in html
    assert 'aria-current="page">Emails</a>' in html


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        (Kind.SHIPPED, ["is on its way", UPS, "https://www.ups.com/track?tracknum=" + UPS]),
        (Kind.TRACKING_UPDATED, ["tracking of your order", "1Z12345E6605272234"]),
        (Kind.DELIVERED, ["was delivered", "Linen apron"]),
        (Kind.DIGITAL_GOODS, ["Field guide to mushrooms (EPUB)", "/downloads/", "PHED-4K7Q"]),
        (Kind.PAYMENT_UPDATE_REQUEST, ["update your payment method", "$157.95"]),
    ],
)
def test_each_email_previews_for_the_sample_order(store_admin_client, settings, kind, says):
    settings.STORE_NAME = "Harbour Books"
    settings.DEFAULT_FROM_EMAIL = "Harbour Books <orders@harbourbooks.test>"
    response = store_admin_client.get(preview_url(kind))
    assert response.status_code == 200
    page = response.content.decode()
    subject = SUBJECTS[kind].format(store="Harbour Books", number=previews.SAMPLE_NUMBER)
    assert f'<dd class="email-subject"><strong>{subject}</strong></dd>' in page
    assert '<dd class="email-from">Harbour Books &lt;orders@harbourbooks.test&gt;</dd>' in page
    assert '<dd class="email-to">jane.doe@example.com</dd>' in page
    assert 'sandbox=""' in page
    html_part = srcdoc(page)
    text_part = htmllib.unescape(re.search(r'<pre class="email-text">(.*?)</pre>', page, re.S)[1])
    assert html_part.startswith("<!doctype html>")
    for part in (html_part, text_part):
        assert "Jane Doe" in part and "Harbour Books" in part
        for words in says:
            assert words in part


def test_order_staff_and_users_without_a_role_get_403(staff_client, client):
    order = shipped_order()
    for url in (LIST, preview_url(Kind.SHIPPED), preview_url(Kind.SHIPPED, order)):
        assert staff_client.get(url).status_code == 403
    nobody = UserFactory()
    nobody.save()
    client.force_login(nobody)
    assert client.get(preview_url(Kind.SHIPPED)).status_code == 403


def test_only_store_admins_see_the_emails_tab(client, staff_user, store_admin):
    client.force_login(staff_user)
    assert LIST not in client.get(reverse("orders:list")).content.decode()
    client.force_login(store_admin)
    assert LIST in client.get(reverse("payments:gateway_list")).content.decode()


def test_an_unknown_kind_is_not_found(store_admin_client):
    assert store_admin_client.get(preview_url("newsletter")).status_code == 404


def test_previews_write_nothing(store_admin_client):
    """Every kind, for the sample and for a real order with no tracking link issued yet: no
    row counts change and no INSERT, UPDATE or DELETE reaches the database."""
    order = shipped_order()
    store_admin_client.get(LIST)  # the session and permissions are cached now
    before = written_rows()
    with CaptureQueriesContext(connection) as queries:
        for kind in [k.value for k in previews.email_kinds()]:  # customer emails
            for url in (preview_url(kind), preview_url(kind, order)):
                assert store_admin_client.get(url).status_code == 200
    assert written_rows() == before
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE")
    ]
    writes += [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert writes == []
    assert not OrderTracking.objects.exists()  # the worker issues the token, not a preview


def test_a_real_order_previews_exactly_as_the_worker_renders_it(store_admin_client):
    order = shipped_order(customer_email="ada@example.com", customer_name="Ada Lovelace")
    token = tracking.tracking_token_for(order)  # issued, as once the shipped email was sent
    page = store_admin_client.get(preview_url(Kind.SHIPPED, order)).content.decode()

    message = outbox_enqueue(
        order=order,
        kind=Kind.SHIPPED,
        subject_key=f"shipment:{order.shipments.get().pk}",
        actor=Actor.system(),
    )
    sent = render_email(message)
    assert srcdoc(page) == sent.html
    assert escape(sent.subject) in page
    assert '<dd class="email-to">ada@example.com</dd>' in page
    assert tracking.tracking_url(token) in sent.text
    assert f'For order <a href="{order.get_absolute_url()}">#{order.number}</a>' in page


def test_a_real_order_preview_says_why_an_email_would_not_be_sent(store_admin_client):
    unshipped = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = store_admin_client.get(preview_url(Kind.SHIPPED, unshipped)).content.decode()
    assert f"Order #{unshipped.number} has no shipment yet" in html
    assert "<iframe" not in html
    html = store_admin_client.get(
        preview_url(Kind.PAYMENT_UPDATE_REQUEST, unshipped)
    ).content.decode()
    assert "Payment update request not sent: the order is Paid now." in html


def test_a_real_order_previews_its_serial_codes(store_admin_client):
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    variant = VariantFactory(hands_out_serial_codes=True)
    OrderLineFactory(order=order, variant=variant, name="Photo editor", quantity=1)
    SerialCode.objects.create(
        variant=variant,
        code="PE-1234-ABCD",
        allocation_reference=order.reference,
        status=SerialCode.Status.ASSIGNED,
        allocated_at=timezone.now(),
    )
    page = store_admin_client.get(preview_url(Kind.DIGITAL_GOODS, order)).content.decode()
    assert "PE-1234-ABCD" in srcdoc(page)
    assert "Photo editor" in srcdoc(page)


def test_an_unknown_order_number_shows_the_sample_with_an_error(store_admin_client):
    html = store_admin_client.get(preview_url(Kind.DELIVERED) + "?order=999999999").content.decode()
    assert "There is no order #999999999: showing the sample order." in html
    assert "jane.doe@example.com" in html


def test_hostile_order_data_is_escaped_and_the_frame_is_sandboxed(store_admin_client):
    order = shipped_order(customer_name='<script>alert("name")</script>')
    line = order.lines.first()
    line.name = "<img src=x onerror=alert(1)>"
    line.save(update_fields=["name"])
    page = store_admin_client.get(preview_url(Kind.SHIPPED, order)).content.decode()

    assert "<script>alert" not in page and "<img src=x" not in page
    html_part = srcdoc(page)  # what the frame's document is made of
    assert "<script" not in html_part and "<img" not in html_part
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in html_part
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_part
    # The text part keeps the name as typed, shown as text on the page.
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in page
    assert re.search(r'<iframe[^>]*\ssandbox=""', page)


def test_the_preview_shows_the_sender_and_store_name_the_worker_sends_with(
    store_admin_client, settings, smtp
):
    settings.STORE_NAME = "Corner Shop"
    settings.DEFAULT_FROM_EMAIL = "Corner Shop <hello@corner.test>"
    order = order_with_lines(lines=1, status=OrderStatus.DELIVERED)
    message = outbox_enqueue(
        order=order, kind=Kind.DELIVERED, subject_key="order", actor=Actor.system()
    )
    page = store_admin_client.get(preview_url(Kind.DELIVERED, order)).content.decode()
    assert outbox_deliver(message_id=message.pk) == SENT

    (email,) = smtp.messages
    assert email["From"] == "Corner Shop <hello@corner.test>"
    assert f'<dd class="email-from">{escape(email["From"])}</dd>' in page
    assert escape(email["Subject"]) in page
    assert email["Subject"].startswith("Corner Shop: ")


# ---- The sender, set by store admins ----------------------------------------------------------

SENDER_URL = reverse("notifications:email_sender_update")


def test_a_store_admin_sets_the_sender_and_the_worker_sends_with_it(
    store_admin_client, settings, smtp
):
    settings.STORE_NAME = "Corner Shop"
    settings.DEFAULT_FROM_EMAIL = "orders@corner.test"
    order = order_with_lines(lines=1, status=OrderStatus.DELIVERED)
    message = outbox_enqueue(
        order=order, kind=Kind.DELIVERED, subject_key="order", actor=Actor.system()
    )  # queued before the change: it still goes out with the new sender
    response = store_admin_client.post(
        SENDER_URL,
        {"sender_name": "Corner Shop Team", "sender_email": "hello@corner.test",
         "reply_to": "help@corner.test"},
        follow=True,
    )  # fmt: skip
    assert "Customer emails now come from Corner Shop Team &lt;hello@corner.test&gt;." in (
        response.content.decode()
    )
    assert outbox_deliver(message_id=message.pk) == SENT
    (email,) = smtp.messages
    assert email["From"] == "Corner Shop Team <hello@corner.test>"
    assert email["Reply-To"] == "help@corner.test"


def test_empty_sender_fields_fall_back_to_the_servers_settings(settings):
    settings.STORE_NAME = "Corner Shop"
    settings.DEFAULT_FROM_EMAIL = "orders@corner.test"
    assert sender() == Sender(from_email="Corner Shop <orders@corner.test>", reply_to="")
    settings.DEFAULT_FROM_EMAIL = "Corner Shop Orders <orders@corner.test>"
    assert sender().from_email == "Corner Shop Orders <orders@corner.test>"
    EmailSettings.objects.create(pk=1, sender_name="Shop & Co")
    assert sender().from_email == "Shop & Co <orders@corner.test>"


def test_a_bad_sender_address_is_refused_and_nothing_changes(store_admin_client):
    response = store_admin_client.post(
        SENDER_URL, {"sender_name": "X", "sender_email": "not-an-address", "reply_to": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The sender was not saved" in page and "Enter a valid email address." in page
    assert not EmailSettings.objects.exists()


def test_order_staff_may_not_change_the_sender(staff_client):
    response = staff_client.post(SENDER_URL, {"sender_name": "Hacked", "sender_email": ""})
    assert response.status_code == 403
    assert not EmailSettings.objects.exists()


def test_reading_the_sender_writes_nothing(store_admin_client):
    page = store_admin_client.get(reverse("notifications:email_list")).content.decode()
    assert 'name="sender_email"' in page
    assert not EmailSettings.objects.exists()
