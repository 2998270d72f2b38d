"""Staff alerts for new online orders: the nav badge's count, its mark, and where it clears."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import selectors, services
from orders.models import Channel, NewOrdersMarker, Order
from tests.factories import OrderFactory, ProductFactory, UserFactory, VariantFactory, api_key
from tests.orders.test_api import URL as INTAKE_URL
from tests.orders.test_api import order_body

pytestmark = pytest.mark.django_db
BADGE = reverse("orders:new_online")
LIST = reverse("orders:list")
HTMX = {"HX-Request": "true"}


def poll(client):
    response = client.get(BADGE, headers=HTMX)
    assert response.status_code == 200
    return response


def badge_text(response) -> str:
    """What the badge says to a screen reader ("" when there is nothing new)."""
    match = re.search(r'<span class="sr-only">([^<]*)</span>', response.content.decode())
    return match.group(1) if match else ""


def online(**fields) -> Order:
    return OrderFactory(channel=Channel.ONLINE, **fields)


def listed_new(response) -> list[int]:
    """Order numbers the list tags as new."""
    html = response.content.decode()
    return [int(n) for n in re.findall(r'<tr id="order-(\d+)" class="row-new">', html)]


@pytest.fixture
def tee():
    return VariantFactory(
        sku="TEE-M-RED",
        product=ProductFactory(name="Tee", is_shippable=True),
        price=Decimal("20.00"),
        stock=10,
    )


# ---- The count -------------------------------------------------------------------------------


def test_a_new_user_starts_at_now_not_with_the_orders_already_in(staff_client, staff_user):
    existing = [online() for _ in range(3)]

    assert badge_text(poll(staff_client)) == ""
    assert NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id == existing[-1].pk
    assert badge_text(poll(staff_client)) == ""


def test_an_online_order_through_the_intake_api_raises_the_count(staff_client, tee):
    poll(staff_client)
    _, raw = api_key(Channel.ONLINE)

    created = Client().post(
        INTAKE_URL,
        order_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "web-1"},
    )
    assert created.status_code == 201

    response = poll(staff_client)
    assert badge_text(response) == "1 new online order"
    online()
    assert badge_text(poll(staff_client)) == "2 new online orders"


def test_in_store_and_back_office_orders_do_not_count(staff_client, tee):
    poll(staff_client)
    _, raw = api_key(Channel.IN_STORE, name="Register")
    created = Client().post(
        INTAKE_URL,
        order_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "till-1"},
    )
    assert created.status_code == 201
    OrderFactory(channel=Channel.BACK_OFFICE)

    assert badge_text(poll(staff_client)) == ""


def test_the_badge_links_to_the_orders_that_arrived_since_the_mark(staff_client, staff_user):
    poll(staff_client)
    mark = NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id
    online()

    html = poll(staff_client).content.decode()
    assert f'href="{LIST}?channel=online&amp;arrived_after={mark}"' in html


def test_the_count_stops_at_99_plus(staff_client, staff_user):
    poll(staff_client)
    for _ in range(120):
        online()

    new = selectors.new_online_orders(user=staff_user)
    assert (new.count, new.label) == (100, "99+")
    response = poll(staff_client)
    assert badge_text(response) == "More than 99 new online orders"
    assert '<span aria-hidden="true">99+</span>' in response.content.decode()


def test_the_badge_says_nothing_about_the_orders_themselves(staff_client):
    poll(staff_client)
    order = online(customer_email="private.buyer@example.com", customer_name="Pat Private")

    html = poll(staff_client).content.decode()
    assert "private.buyer" not in html and "Pat Private" not in html
    assert str(order.number) not in html
    assert "no-store" in poll(staff_client)["Cache-Control"]


# ---- Where it clears -------------------------------------------------------------------------


def test_opening_the_online_tab_clears_the_alert_for_that_user_only(client, staff_user):
    other = Client()
    other.force_login(UserFactory(role="staff"))
    client.force_login(staff_user)
    poll(client), poll(other)
    order = online()
    assert badge_text(poll(client)) == badge_text(poll(other)) == "1 new online order"

    response = client.get(LIST, {"channel": "online"})

    assert listed_new(response) == [order.number]
    assert badge_text(poll(client)) == ""
    assert badge_text(poll(other)) == "1 new online order"
    assert NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id == order.pk


def test_the_all_tab_clears_it_too(staff_client):
    poll(staff_client)
    order = online()

    assert listed_new(staff_client.get(LIST)) == [order.number]
    assert badge_text(poll(staff_client)) == ""


@pytest.mark.parametrize(
    "query",
    [
        {"channel": "in_store"},
        {"status": "paid"},
        {"q": "someone@example.com"},
        {"sort": "total"},
    ],
    ids=["in-store tab", "status filter", "search", "other sort"],
)
def test_pages_that_do_not_show_the_newest_online_orders_leave_it(staff_client, query):
    poll(staff_client)
    online()

    staff_client.get(LIST, query)

    assert badge_text(poll(staff_client)) == "1 new online order"


def test_a_second_page_leaves_it(staff_client):
    online(placed_at=timezone.now() - timedelta(hours=1))
    poll(staff_client)
    # Back-dated by its storefront: it arrives now but sorts below the seen order.
    online(placed_at=timezone.now() - timedelta(days=2))
    first = staff_client.get(LIST, {"channel": "online", "per_page": 1})
    next_href = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1)

    staff_client.get(next_href.replace("&amp;", "&"))

    assert badge_text(poll(staff_client)) == "1 new online order"


def test_the_badge_link_keeps_listing_the_same_orders_once_seen(staff_client, staff_user):
    online(placed_at=timezone.now() - timedelta(days=3))
    poll(staff_client)
    mark = NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id
    old = online(placed_at=timezone.now() - timedelta(hours=1))
    # Back-dated by its storefront: placed before `old`, arrived after it.
    late = online(placed_at=timezone.now() - timedelta(days=2))
    OrderFactory(channel=Channel.IN_STORE)
    link = {"channel": "online", "arrived_after": mark}

    first = staff_client.get(LIST, link)
    again = staff_client.get(LIST, link)

    assert listed_new(first) == [old.number, late.number]
    assert "Orders that arrived since you last looked" in first.content.decode()
    assert listed_new(again) == []
    assert [o.number for o in again.context["page"].orders] == [old.number, late.number]
    assert badge_text(poll(staff_client)) == ""


def test_a_garbage_arrived_after_is_ignored(staff_client):
    order = online()
    response = staff_client.get(LIST, {"channel": "online", "arrived_after": "x' OR 1=1"})
    assert response.status_code == 200
    assert [o.number for o in response.context["page"].orders] == [order.number]


def test_the_mark_only_moves_up(staff_user):
    services.new_orders_marker_create(user=staff_user)
    assert services.new_orders_mark_seen(user=staff_user, up_to_id=50)
    assert not services.new_orders_mark_seen(user=staff_user, up_to_id=40)
    assert NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id == 50


def test_starting_the_mark_twice_keeps_the_first(staff_user):
    services.new_orders_marker_create(user=staff_user)
    first = NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id
    online()
    services.new_orders_marker_create(user=staff_user)
    assert NewOrdersMarker.objects.get(user=staff_user).seen_up_to_id == first
    assert selectors.new_online_orders(user=staff_user).count == 1


# ---- Who sees it -----------------------------------------------------------------------------


def test_a_user_who_may_not_view_orders_is_refused_and_gets_no_badge(client):
    nobody = UserFactory()  # signed in, but with no role at all
    nobody.save()
    client.force_login(nobody)

    assert client.get(BADGE, headers=HTMX).status_code == 403
    page = client.get(LIST)  # the 403 page, with the layout's navigation
    assert page.status_code == 403
    assert 'id="new-orders"' not in page.content.decode()
    assert not NewOrdersMarker.objects.exists()


def test_staff_and_admins_get_the_badge_in_the_nav(staff_client, store_admin):
    assert 'id="new-orders"' in staff_client.get(LIST).content.decode()
    admin = Client()
    admin.force_login(store_admin)
    assert 'id="new-orders"' in admin.get(reverse("orders:apikey_list")).content.decode()


def test_a_signed_out_tab_is_told_to_stop_polling(client):
    response = client.get(BADGE, headers=HTMX)
    assert response.status_code == 286
    assert response.content == b""

    plain = client.get(BADGE)
    assert plain.status_code == 302
    assert plain["Location"] == f"{reverse('login')}?next={BADGE}"


# ---- Cost ------------------------------------------------------------------------------------


def test_a_poll_is_two_queries_and_the_first_one_three(staff_client, django_assert_num_queries):
    for _ in range(5):
        online()
    staff_client.get(LIST)  # warm: the session and the permission set come from the cache
    # The user; the mark and count (no mark yet); the mark started.
    with django_assert_num_queries(3):
        poll(staff_client)
    for _ in range(30):
        online()
    # The user; the mark and the count in one statement.
    with django_assert_num_queries(2):
        assert badge_text(poll(staff_client)) == "30 new online orders"


def test_the_list_clears_with_one_query_more(staff_client, django_assert_num_queries):
    poll(staff_client)
    staff_client.get(LIST)
    online()
    # The user; the orders (with whether each is new); moving the mark; the tabs' counts; the
    # saved views.
    with django_assert_num_queries(5):
        staff_client.get(LIST)
    # Nothing new: no write.
    with django_assert_num_queries(4):
        staff_client.get(LIST)


def test_the_count_walks_the_partial_index(staff_user):
    services.new_orders_marker_create(user=staff_user)
    for _ in range(3):
        online()
    with CaptureQueriesContext(connection) as queries:
        selectors.new_online_orders(user=staff_user)
    with connection.cursor() as cursor:
        # A test table is small enough for a sequential scan; forbid it to see the index fit.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {queries.captured_queries[0]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using order_online_id_idx" in plan
