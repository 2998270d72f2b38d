"""The order pages: list, lookup, filters, paging, status changes (plain and htmx), notes,
the detail page, and the API key pages."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import DigitalFile, SerialCode
from orders.actors import Actor
from orders.models import ApiKey, Channel, DownloadLink, Order, OrderEvent, OrderStatus
from orders.services import order_transition
from payments.models import PaymentAttempt
from payments.services import PaymentInfo, order_mark_paid
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ProfileFactory,
    VariantFactory,
    address_snapshot,
    api_key,
    order_with_lines,
)
from tests.payments.factories import GatewayFactory

pytestmark = pytest.mark.django_db
LIST = reverse("orders:list")
NOW = timezone.now()


def detail_url(order) -> str:
    return reverse("orders:detail", kwargs={"number": order.number})


def status_url(order) -> str:
    return reverse("orders:status_change", kwargs={"number": order.number})


def note_url(order) -> str:
    return reverse("orders:note_add", kwargs={"number": order.number})


def listed(response) -> list[int]:
    """Order numbers in the list, in the order shown."""
    return [int(n) for n in re.findall(r'<tr id="order-(\d+)"', response.content.decode())]


def placed(minutes_ago: int, **fields):
    return OrderFactory(placed_at=NOW - timedelta(minutes=minutes_ago), **fields)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---- The list ----------------------------------------------------------------------------


def test_list_shows_orders_newest_first(staff_client):
    old, new, middle = placed(60), placed(1), placed(30)
    response = staff_client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == [new.number, middle.number, old.number]


def test_list_row_shows_customer_items_total_and_status(staff_client):
    order = order_with_lines(
        lines=2, customer_name="Ada Lovelace", customer_email="ada@example.com"
    )
    html = staff_client.get(LIST).content.decode()
    assert "Ada Lovelace" in html and "ada@example.com" in html
    assert "$40.00" in html
    assert f'href="{detail_url(order)}"' in html
    assert 'class="badge status-pending">Pending<' in html
    # A pending order becomes paid through a payment, never through the status form.
    assert ">Cancel</option>" in html
    assert ">Mark paid</option>" not in html


def test_list_filters_by_status(staff_client):
    paid = placed(1, status=OrderStatus.PAID)
    placed(2, status=OrderStatus.PENDING)
    assert listed(staff_client.get(LIST, {"status": "paid"})) == [paid.number]


def test_list_filters_by_channel_through_the_tabs(staff_client):
    store = placed(1, channel=Channel.IN_STORE)
    placed(2, channel=Channel.ONLINE)
    response = staff_client.get(LIST, {"channel": "in_store"})
    assert listed(response) == [store.number]
    assert re.search(
        r'href="/orders/\?channel=in_store"\s+aria-current="page"', response.content.decode()
    )


@pytest.mark.parametrize("typed", ["{n}", "#{n}"])
def test_lookup_by_exact_number_opens_the_order(staff_client, typed):
    order = placed(1)
    response = staff_client.get(LIST, {"q": typed.format(n=order.number)})
    assert response.status_code == 302
    assert response["Location"] == detail_url(order)


def test_lookup_by_unknown_number_says_there_is_no_such_order(staff_client):
    placed(1)
    response = staff_client.get(LIST, {"q": "#987654321"})
    assert response.status_code == 200
    assert listed(response) == []
    assert "No order #987654321" in response.content.decode()


def test_search_by_email_and_name(staff_client):
    ada = placed(1, customer_email="ada@example.com", customer_name="Ada Lovelace")
    placed(2, customer_email="grace@example.com", customer_name="Grace Hopper")
    assert listed(staff_client.get(LIST, {"q": "ADA@example.com"})) == [ada.number]
    assert listed(staff_client.get(LIST, {"q": "ada lo"})) == [ada.number]


@pytest.mark.parametrize("sort", ["total", "-number", "bogus", "-customer_email", "'; --"])
def test_sort_param_is_whitelisted_never_an_error(staff_client, sort):
    old = placed(10, total=Decimal("99.00"))
    new = placed(1, total=Decimal("1.00"))
    response = staff_client.get(LIST, {"sort": sort})
    assert response.status_code == 200
    expected = {
        "total": [new.number, old.number],
        "-number": [new.number, old.number],
    }.get(sort, [new.number, old.number])
    assert listed(response) == expected


def counts_the_table(queries) -> bool:
    """Whether a query counts rows without stopping: the tabs' counts stop at 1,001 rows."""
    return any(
        "COUNT(" in q["sql"].upper() and "LIMIT 1001" not in q["sql"].upper()
        for q in queries.captured_queries
    )


def test_pagination_follows_next_and_previous_links_without_counting(staff_client):
    orders = [placed(i) for i in range(60)]
    with CaptureQueriesContext(connection) as queries:
        first = staff_client.get(LIST)
    assert listed(first) == [o.number for o in orders[:50]]
    assert not counts_the_table(queries)

    next_href = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1)
    assert 'rel="prev"' not in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = staff_client.get(next_href.replace("&amp;", "&"))
    assert listed(second) == [o.number for o in orders[50:]]
    assert 'rel="next"' not in second.content.decode()
    assert not counts_the_table(queries)

    prev_href = re.search(r'href="([^"]+)" rel="prev"', second.content.decode()).group(1)
    back = staff_client.get(prev_href.replace("&amp;", "&"))
    assert listed(back) == [o.number for o in orders[:50]]


def test_per_page_is_capped_at_200(staff_client):
    for i in range(3):
        placed(i)
    response = staff_client.get(LIST, {"per_page": "5000"})
    assert response.status_code == 200
    assert response.context["page"].per_page == 200


def test_list_uses_the_same_number_of_queries_for_5_or_60_orders(staff_client):
    for i in range(5):
        order_with_lines(lines=2, placed_at=NOW - timedelta(minutes=i))
    staff_client.get(LIST)  # warm: the session and the permission set come from the cache
    with CaptureQueriesContext(connection) as five:
        assert len(listed(staff_client.get(LIST))) == 5
    for i in range(55):
        order_with_lines(
            lines=1, status=OrderStatus.PAID, placed_at=NOW - timedelta(minutes=10 + i)
        )
    with CaptureQueriesContext(connection) as sixty:
        assert len(listed(staff_client.get(LIST))) == 50
    assert len(five) == len(sixty)
    # The user; the orders with their line facts; the tabs' counts; the saved views for the
    # tabs (session and permissions are cached).
    assert len(sixty) == 4


# ---- Status change from the list ---------------------------------------------------------


def test_status_change_from_the_list_redirects_back_to_it(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    back_to = f"{LIST}?status=paid"
    response = staff_client.post(status_url(order), {"to": "in_process", "next": back_to})
    assert response.status_code == 302
    assert response["Location"] == back_to
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    page = staff_client.get(back_to)
    assert f"Order #{order.number} is now In process." in messages_of(page)


def test_mark_paid_is_refused_by_the_status_form(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(status_url(order), {"to": "paid", "next": LIST}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert any(
        "Paid needs a payment: charge it or record an offline payment" in m
        for m in messages_of(response)
    )


def test_refused_status_change_shows_why_and_changes_nothing(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(status_url(order), {"to": "complete", "next": LIST}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not order.events.exists()
    assert any(
        "Items are still waiting to be shipped: record a shipment" in m
        for m in messages_of(response)
    )


def test_a_move_the_table_does_not_know_is_refused(staff_client):
    order = placed(1, status=OrderStatus.CANCELLED)
    response = staff_client.post(status_url(order), {"to": "paid"}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert any("cannot become Paid" in m for m in messages_of(response))


def test_an_offsite_next_is_not_followed(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(
        status_url(order), {"to": "cancelled", "next": "https://evil.example/"}
    )
    assert response["Location"] == detail_url(order)


def test_htmx_status_change_returns_just_the_row(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(
        status_url(order),
        {"to": "in_process", "partial": "row", "next": LIST},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="order-{order.number}"')
    assert "<html" not in html
    assert 'class="badge status-paid"' not in html
    assert 'class="badge status-in_process">In process<' in html
    # Shipped needs a courier and tracking number (seed 004): it opens shipping's form.
    assert ">Mark shipped…</option>" in html
    assert ">Cancel</option>" in html
    assert 'hx-swap-oob="true"' in html and f"Order #{order.number} is now In process." in html
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS


def test_htmx_refused_status_change_returns_the_unchanged_row_with_the_reason(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(
        status_url(order), {"to": "complete", "partial": "row"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'class="badge status-paid">Paid<' in html
    assert "Items are still waiting to be shipped: record a shipment" in html
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_status_change_without_a_target_is_an_error_message(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(status_url(order), {"to": ""}, follow=True)
    assert any("Choose the new status." in m for m in messages_of(response))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_status_change_of_an_unknown_order_is_404(staff_client):
    assert staff_client.post("/orders/424242/status/", {"to": "paid"}).status_code == 404


# ---- The detail page ---------------------------------------------------------------------


def make_full_order():
    profile = ProfileFactory(first_name="Ada", last_name="Lovelace", member_ref="m-1")
    order = OrderFactory(
        profile=profile,
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        customer_phone="+1 555 0199",
        payment_token="tok_live_4242424242421881",
        authorization_code="AUTH-778",
        billing_address=address_snapshot(line1="1 Billing Way", city="Oakland"),
        shipping_address=address_snapshot(line1="9 Shipping Rd", city="Berkeley"),
        shipping_total=Decimal("7.50"),
        tax_total=Decimal("3.25"),
        discount_total=Decimal("2.00"),
    )
    OrderLineFactory(order=order, sku="MUG-RED", name="Red mug", options="Large", quantity=2)
    return order


def test_detail_shows_lines_amounts_contact_addresses_payment_and_timeline(
    staff_client, staff_user
):
    order = make_full_order()
    OrderEvent.objects.create(
        order=order, kind=OrderEvent.Kind.PLACED, actor_label="API: Storefront"
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status="pending",
        to_status="paid",
        message="Cheque received",
        actor=staff_user,
    )
    response = staff_client.get(detail_url(order))
    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        f"Order #{order.number}",
        "MUG-RED",
        "Red mug",
        "Large",
        "Not sent",
        "$40.00",  # the line total and the subtotal
        "$7.50",
        "$3.25",
        "−$2.00",
        "ada@example.com",
        "+1 555 0199",
        "Member",
        "Profile: Ada Lovelace",
        "1 Billing Way",
        "9 Shipping Rd",
        "Berkeley",
        "AUTH-778",
        "••••••••1881",
        "API: Storefront",
        "Cheque received",
        staff_user.get_full_name() or staff_user.username,
    ]:
        assert text in html, text
    assert "tok_live_4242424242421881" not in html
    # Only the moves the status machine allows now, with the table's labels; paying is the
    # payment panel's Charge button, not a status move.
    assert ">Mark paid</button>" not in html
    assert "Charge $40.00" in html
    assert ">Cancel</button>" in html
    assert "Roll back to pending" not in html


def test_detail_of_a_guest_order(staff_client):
    order = order_with_lines(lines=1)
    html = staff_client.get(detail_url(order)).content.decode()
    assert '<span class="tag">Guest</span>' in html


def test_detail_of_an_unknown_order_is_404(staff_client):
    assert staff_client.get("/orders/424242/").status_code == 404


def test_a_lines_name_links_to_its_product_page_when_the_line_has_a_product(staff_client):
    order = OrderFactory()
    line = OrderLineFactory(order=order, name="Alpine Mug")
    OrderLineFactory(order=order, variant=None, name="Gift wrap")  # no product: plain text
    html = staff_client.get(detail_url(order)).content.decode()
    product_url = reverse("catalog:product_detail", args=[line.product_id])
    assert f'<a class="line-product" href="{product_url}">Alpine Mug</a>' in html
    assert html.count('class="line-product"') == 1
    assert "Gift wrap" in html


def test_status_change_from_the_detail_page(staff_client, staff_user):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(
        status_url(order),
        {"to": "pending", "note": "Customer's cheque bounced", "next": detail_url(order)},
        follow=True,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    html = response.content.decode()
    assert f"Order #{order.number} is now Pending." in html
    assert "Customer&#x27;s cheque bounced" in html
    event = order.events.get(kind=OrderEvent.Kind.STATUS)
    assert (event.from_status, event.to_status, event.actor) == ("paid", "pending", staff_user)


def test_refused_status_change_from_the_detail_page(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(
        status_url(order), {"to": "complete", "next": detail_url(order)}, follow=True
    )
    assert response.redirect_chain[-1][0] == detail_url(order)
    assert "Items are still waiting to be shipped: record a shipment" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_htmx_status_change_on_the_detail_page_swaps_the_order(staff_client):
    order = order_with_lines(lines=1)
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    response = staff_client.post(
        status_url(order), {"to": "pending", "partial": "detail"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-detail">')
    assert "<html" not in html
    assert 'class="badge badge-lg status-pending"' in html
    assert ">Roll back to pending</button>" not in html
    assert "Stock and sales restored." in html


def test_note_added_appears_in_the_timeline(staff_client, staff_user):
    order = order_with_lines(lines=1)
    response = staff_client.post(note_url(order), {"text": "Called the customer"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(order) + "#timeline"
    page = staff_client.get(detail_url(order))
    html = page.content.decode()
    assert "Note added to the timeline." in html
    timeline = html[html.index('id="order-timeline"') :]
    assert "Called the customer" in timeline
    event = order.events.get()
    assert (event.kind, event.actor) == (OrderEvent.Kind.NOTE, staff_user)


def test_htmx_note_returns_the_timeline(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(
        note_url(order), {"text": "Left a voicemail"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="order-timeline"')
    assert "Left a voicemail" in html
    assert "Note added to the timeline." in html


def test_the_timeline_gives_each_event_its_time_in_the_stores_timezone(staff_client, settings):
    settings.TIME_ZONE = "America/New_York"
    order = order_with_lines(lines=1)
    event = OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, message="Called")
    OrderEvent.objects.filter(pk=event.pk).update(
        created_at=datetime(2026, 3, 4, 3, 7, tzinfo=UTC)  # 10:07 pm the day before in New York
    )
    html = staff_client.get(detail_url(order)).content.decode()
    assert (
        '<time class="event-when muted" datetime="2026-03-03T22:07:00-05:00">'
        "Mar 3, 2026 22:07</time>"
    ) in html


def test_an_empty_note_is_refused(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(note_url(order), {"text": "   "}, follow=True)
    assert "A note cannot be empty." in response.content.decode()
    assert not order.events.exists()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def digital_variant(name: str, codes: int = 0):
    """A variant with nothing to ship, a downloadable file and `codes` serial codes."""
    variant = VariantFactory(
        product=ProductFactory(is_shippable=False, name=name),
        track_stock=False,
        hands_out_serial_codes=bool(codes),
    )
    SerialCode.objects.bulk_create(
        SerialCode(variant=variant, code=f"{name[:3].upper()}-{i:04d}") for i in range(codes)
    )
    DigitalFile.objects.create(
        variant=variant, title=f"{name} (PDF)", file=ContentFile(b"%PDF-1.4", "file.pdf")
    )
    return variant


def rich_order(lines: int, *, paid: bool, staff_user):
    """An order with everything its page lists: digital lines with serial codes and download
    links, a timeline, charge attempts and (once paid) a payment."""
    order = OrderFactory(payment_token="tok_decline")
    for i in range(lines):
        OrderLineFactory(order=order, variant=digital_variant(f"Item {i}", codes=2), quantity=2)
    for i in range(lines):
        OrderEvent.objects.create(
            order=order, kind=OrderEvent.Kind.NOTE, message=f"note {i}", actor=staff_user
        )
        PaymentAttempt.objects.create(
            order=order, amount=order.total, outcome="declined", actor=staff_user
        )
    if paid:
        order_mark_paid(
            order_id=order.pk,
            payment=PaymentInfo(method="check", amount=order.total, reference=f"{lines}"),
            actor=Actor.of(staff_user),
        )
    return order


@pytest.mark.parametrize(
    ("paid", "queries"),
    [
        # The user (session and permissions are cached); the order with its profile, lines,
        # events, and once paid its download links and serial codes (unpaid, it has none:
        # whether it has any rides on the order's and lines' queries); its payments and
        # charge attempts; then the active gateway while it waits for payment, or its
        # invoices once it is paid; its shipments and the shipment form's carriers (the order
        # page's tabs show no saved views).
        (False, 9),
        (True, 11),
    ],
)
def test_detail_uses_the_same_number_of_queries_for_1_or_10_lines(
    staff_client, staff_user, media, paid, queries
):
    GatewayFactory(is_active=True)
    small = rich_order(1, paid=paid, staff_user=staff_user)
    big = rich_order(10, paid=paid, staff_user=staff_user)
    staff_client.get(LIST)  # warm: the session and the permission set come from the cache
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(detail_url(small)).status_code == 200
    with CaptureQueriesContext(connection) as ten:
        html = staff_client.get(detail_url(big)).content.decode()
    assert len(one) == len(ten) == queries
    assert html.count('class="serial"') == (20 if paid else 0)  # 2 codes a line
    assert html.count('class="download"') == (10 if paid else 0)


# ---- Digital goods on the lines ----------------------------------------------------------


def test_lines_show_their_serial_codes_and_download_links(staff_client, staff_user, media):
    licence = digital_variant("Photo editor", codes=3)
    order = OrderFactory()
    first = OrderLineFactory(order=order, variant=licence, quantity=1)
    OrderLineFactory(order=order, variant=licence, quantity=2)
    OrderLineFactory(order=order, quantity=1)  # a tee: nothing digital
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    html = staff_client.get(detail_url(order)).content.decode()
    assert html.count('<code class="serial">') == 3
    assert "Serial code</span>" in html and "Serial codes</span>" in html
    # Codes are dealt to the variant's lines in line order.
    rows = html.split("<tr>")
    first_row = next(row for row in rows if "PHO-0000" in row)
    assert "PHO-0001" not in first_row
    link = DownloadLink.objects.filter(line=first).first()
    assert f'href="{link.get_absolute_url()[:-20]}' in html
    assert "Photo editor (PDF)</a>" in html
    assert f"expires {link.expires_at:%b} {link.expires_at.day}" in html


def test_revoked_links_show_as_revoked_and_codes_go_back_after_rollback(staff_client, media):
    order = OrderFactory()
    OrderLineFactory(order=order, variant=digital_variant("Field guide", codes=1))
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=Actor.system())
    html = staff_client.get(detail_url(order)).content.decode()
    assert '<code class="serial">' not in html
    assert '<span class="dead-title">Field guide (PDF)</span>' in html
    assert "Revoked" in html
    assert "Field guide (PDF)</a>" not in html


# ---- Fraud review ------------------------------------------------------------------------


def test_fraud_panel_shows_the_rating_and_the_signals_behind_it(staff_client):
    order = order_with_lines(
        lines=1,
        client_ip="203.0.113.9",
        risk_level="high",
        risk_signals=[
            {
                "code": "address_country_mismatch",
                "label": "Billing and shipping countries differ",
                "detail": "Billing US, shipping NG.",
                "points": 30,
            },
            {
                "code": "cvv_mismatch",
                "label": "Security code (CVV) failed",
                "detail": "The card's security code was wrong.",
                "points": 40,
            },
        ],
    )
    html = staff_client.get(detail_url(order)).content.decode()
    panel = html[
        html.index('id="order-risk"') : html.index("</section>", html.index('id="order-risk"'))
    ]
    assert '<span class="risk risk-high">High risk</span>' in panel
    assert "70 points" in panel
    for text in [
        "Billing and shipping countries differ",
        "Billing US, shipping NG.",
        "+30",
        "Security code (CVV) failed",
        "The card&#x27;s security code was wrong.",
        "+40",
        "203.0.113.9",
    ]:
        assert text in panel, text
    assert "No risk signals" not in panel


def test_fraud_panel_of_a_low_risk_order_without_signals(staff_client):
    order = order_with_lines(lines=1, risk_level="low", risk_signals=[])
    html = staff_client.get(detail_url(order)).content.decode()
    assert '<span class="risk risk-low">Low risk</span>' in html
    assert "No risk signals." in html


def test_fraud_panel_of_an_order_never_assessed(staff_client):
    order = order_with_lines(lines=1)
    html = staff_client.get(detail_url(order)).content.decode()
    assert "Not assessed." in html
    assert 'class="risk risk-' not in html


def test_list_tags_medium_and_high_risk_orders(staff_client):
    high = placed(1, risk_level="high")
    placed(2, risk_level="low")
    html = staff_client.get(LIST).content.decode()
    assert html.count("risk-small") == 1
    row = html[html.index(f'id="order-{high.number}"') :]
    assert ">High risk</span>" in row[: row.index("</tr>")]


# ---- Delete ------------------------------------------------------------------------------


def delete_url(order) -> str:
    return reverse("orders:delete", kwargs={"number": order.number})


def test_a_never_paid_order_can_be_deleted_from_its_page(staff_client):
    order = order_with_lines(lines=2)
    html = staff_client.get(detail_url(order)).content.decode()
    assert f'action="{delete_url(order)}"' in html
    assert f"Delete order #{order.number} and its timeline for good?" in html

    response = staff_client.post(delete_url(order))
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not Order.objects.filter(pk=order.pk).exists()
    assert f"Order #{order.number} was deleted." in messages_of(staff_client.get(LIST))


@pytest.mark.parametrize(
    "state",
    ["paid", "paid_once", "sent"],
)
def test_delete_is_not_offered_and_refused_where_the_order_counts(staff_client, state):
    order = order_with_lines(lines=1)
    if state == "paid":
        order_transition(
            order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
        )
    elif state == "paid_once":
        order_transition(
            order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
        )
        order_transition(order_id=order.pk, to=OrderStatus.CANCELLED, actor=Actor.system())
    else:
        order.lines.update(quantity_fulfilled=1)
    html = staff_client.get(detail_url(order)).content.decode()
    assert delete_url(order) not in html

    response = staff_client.post(delete_url(order), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(order)
    assert Order.objects.filter(pk=order.pk).exists()
    (message,) = messages_of(response)
    assert message.startswith(f"Order #{order.number} was not deleted:")
    assert "cancel it instead" in message or "Only pending or cancelled" in message


def test_a_cancelled_never_paid_order_can_be_deleted(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.CANCELLED)
    assert delete_url(order) in staff_client.get(detail_url(order)).content.decode()
    staff_client.post(delete_url(order))
    assert not Order.objects.filter(pk=order.pk).exists()


def test_cancelling_a_paid_order_says_what_it_undid(staff_client, media):
    order = OrderFactory()
    OrderLineFactory(order=order, variant=digital_variant("Atlas", codes=1))
    order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    html = staff_client.get(detail_url(order)).content.decode()
    assert "This cannot be undone. Stock and units sold are restored" in html
    response = staff_client.post(status_url(order), {"to": "cancelled"}, follow=True)
    (message,) = messages_of(response)
    assert message.startswith(
        f"Order #{order.number} is now Cancelled. Stock and sales restored, 1 serial code "
        "retired and 1 download link revoked. Payment reversed."
    )


# ---- API keys ----------------------------------------------------------------------------


def test_api_key_is_shown_once_on_creation_and_never_again(store_admin_client, store_admin):
    response = store_admin_client.post(
        reverse("orders:apikey_create"), {"name": "Register 1", "channel": "in_store"}
    )
    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    assert (key.name, key.channel, key.created_by) == ("Register 1", "in_store", store_admin)
    assert key.key_hash == ApiKey.hash(raw)
    assert raw not in str(dict(store_admin_client.session))
    listing = store_admin_client.get(reverse("orders:apikey_list")).content.decode()
    assert "Register 1" in listing
    assert raw not in listing
    assert f"bo_{key.lookup}_…" in listing


def test_api_key_form_rejects_a_bad_channel(store_admin_client):
    response = store_admin_client.post(
        reverse("orders:apikey_create"), {"name": "X", "channel": "back_office"}
    )
    assert response.status_code == 200
    assert "raw_key" not in response.context
    assert not ApiKey.objects.exists()


def test_api_key_revoke(store_admin_client):
    key, _ = api_key(name="Old storefront")
    response = store_admin_client.post(
        reverse("orders:apikey_revoke", kwargs={"pk": key.pk}), follow=True
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked" in response.content.decode()
    assert "“Old storefront” is revoked" in response.content.decode()


# ---- Navigation --------------------------------------------------------------------------


def test_staff_nav_hides_settings_and_admin(staff_client):
    html = staff_client.get(LIST).content.decode()
    assert reverse("orders:apikey_list") not in html
    assert reverse("admin:index") not in html
    assert 'action="/accounts/logout/"' in html


def test_admin_nav_shows_settings_and_admin(store_admin_client):
    html = store_admin_client.get(LIST).content.decode()
    assert reverse("orders:apikey_list") in html
    assert reverse("admin:index") in html


def test_status_form_refuses_shipped_without_a_shipment(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(status_url(order), {"to": "shipped", "next": LIST}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    # Without JavaScript, choosing Shipped leads to the order page's shipment form.
    assert response.redirect_chain[-1][0] == detail_url(order) + "#order-shipping"
    assert any("courier and tracking number" in m for m in messages_of(response))
