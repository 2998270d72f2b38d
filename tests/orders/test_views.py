"""The order pages: list, lookup, filters, paging, status changes (plain and htmx), notes,
the detail page, and the API key pages."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import ApiKey, Channel, OrderEvent, OrderStatus
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProfileFactory,
    address_snapshot,
    api_key,
    order_with_lines,
)

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
    assert ">Mark paid</option>" in html


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


def test_pagination_follows_next_and_previous_links_without_counting(staff_client):
    orders = [placed(i) for i in range(60)]
    with CaptureQueriesContext(connection) as queries:
        first = staff_client.get(LIST)
    assert listed(first) == [o.number for o in orders[:50]]
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    next_href = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1)
    assert 'rel="prev"' not in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = staff_client.get(next_href.replace("&amp;", "&"))
    assert listed(second) == [o.number for o in orders[50:]]
    assert 'rel="next"' not in second.content.decode()
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

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
    with CaptureQueriesContext(connection) as five:
        assert len(listed(staff_client.get(LIST))) == 5
    for i in range(55):
        order_with_lines(
            lines=1, status=OrderStatus.PAID, placed_at=NOW - timedelta(minutes=10 + i)
        )
    with CaptureQueriesContext(connection) as sixty:
        assert len(listed(staff_client.get(LIST))) == 50
    assert len(five) == len(sixty)
    # Session, user, two permission reads; then the orders with their line facts.
    assert len(sixty) == 5


# ---- Status change from the list ---------------------------------------------------------


def test_status_change_from_the_list_redirects_back_to_it(staff_client):
    order = order_with_lines(lines=1)
    back_to = f"{LIST}?status=pending"
    response = staff_client.post(status_url(order), {"to": "paid", "next": back_to})
    assert response.status_code == 302
    assert response["Location"] == back_to
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    page = staff_client.get(back_to)
    assert f"Order #{order.number} is now Paid." in messages_of(page)


def test_refused_status_change_shows_why_and_changes_nothing(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(status_url(order), {"to": "complete", "next": LIST}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not order.events.exists()
    assert any("Items are still waiting to be shipped." in m for m in messages_of(response))


def test_a_move_the_table_does_not_know_is_refused(staff_client):
    order = placed(1, status=OrderStatus.CANCELLED)
    response = staff_client.post(status_url(order), {"to": "paid"}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert any("cannot become Paid" in m for m in messages_of(response))


def test_an_offsite_next_is_not_followed(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(status_url(order), {"to": "paid", "next": "https://evil.example/"})
    assert response["Location"] == detail_url(order)


def test_htmx_status_change_returns_just_the_row(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(
        status_url(order), {"to": "paid", "partial": "row", "next": LIST}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="order-{order.number}"')
    assert "<html" not in html
    assert 'class="badge status-pending"' not in html
    assert 'class="badge status-paid">Paid<' in html
    assert ">Roll back to pending</option>" in html
    assert 'hx-swap-oob="true"' in html and f"Order #{order.number} is now Paid." in html
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_htmx_refused_status_change_returns_the_unchanged_row_with_the_reason(staff_client):
    order = order_with_lines(lines=1, status=OrderStatus.PAID)
    response = staff_client.post(
        status_url(order), {"to": "complete", "partial": "row"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'class="badge status-paid">Paid<' in html
    assert "Items are still waiting to be shipped." in html
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
    # Only the moves the status machine allows now, with the table's labels.
    assert ">Mark paid</button>" in html
    assert ">Cancel</button>" in html
    assert "Roll back to pending" not in html


def test_detail_of_a_guest_order(staff_client):
    order = order_with_lines(lines=1)
    html = staff_client.get(detail_url(order)).content.decode()
    assert '<span class="tag">Guest</span>' in html


def test_detail_of_an_unknown_order_is_404(staff_client):
    assert staff_client.get("/orders/424242/").status_code == 404


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
    assert "Items are still waiting to be shipped." in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_htmx_status_change_on_the_detail_page_swaps_the_order(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(
        status_url(order), {"to": "paid", "partial": "detail"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-detail">')
    assert "<html" not in html
    assert ">Roll back to pending</button>" in html
    assert "Stock decreased and sales recorded." in html


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


def test_an_empty_note_is_refused(staff_client):
    order = order_with_lines(lines=1)
    response = staff_client.post(note_url(order), {"text": "   "}, follow=True)
    assert "A note cannot be empty." in response.content.decode()
    assert not order.events.exists()


def test_detail_uses_the_same_number_of_queries_for_1_or_10_lines_and_events(
    staff_client, staff_user
):
    small = order_with_lines(lines=1)
    big = order_with_lines(lines=10, status=OrderStatus.PAID)
    for i in range(10):
        OrderEvent.objects.create(
            order=big, kind=OrderEvent.Kind.NOTE, message=f"note {i}", actor=staff_user
        )
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(detail_url(small)).status_code == 200
    with CaptureQueriesContext(connection) as ten:
        assert staff_client.get(detail_url(big)).status_code == 200
    assert len(one) == len(ten)
    # Session, user, two permission reads; then the order with its profile, lines, events.
    assert len(ten) <= 7


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
