"""The transactions grid's pages: the grid, the item type-ahead, the capped count, and the
bulk actions other apps register (shipping's *Flag selected item(s) as sent*), with who may
do what."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.grid import selectors
from orders.models import OrderEvent, OrderLine, OrderStatus
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db
GRID = reverse("orders:grid")
ITEMS = reverse("orders:grid_items")
COUNT = reverse("orders:grid_count")
ACTION = reverse("orders:grid_action")
Fulfilment = OrderLine.Fulfilment


def rows(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="line-(\d+)"', response.content.decode())]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def shippable(order, *, quantity=1, **fields) -> OrderLine:
    return OrderLineFactory(order=order, quantity=quantity, **fields)


# ---- The page ------------------------------------------------------------------------------


def test_staff_see_the_grid_in_the_main_navigation(staff_client):
    a_line = OrderLineFactory()
    response = staff_client.get(GRID)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{GRID}" aria-current="page">Transactions</a>' in html
    assert rows(response) == [a_line.id]
    assert "Flag selected item(s) as sent" in html
    assert 'role="menu"' in html and 'data-menu-link="invoice"' in html


def test_the_filters_live_in_the_url_and_come_back_filled(staff_client):
    mug = ProductFactory(name="Alpine Mug")
    OrderLineFactory(variant=VariantFactory(product=mug))
    query = f"start=2026-01-01&end=2026-12-31&item={mug.pk}&status=paid&channel=online"
    html = staff_client.get(f"{GRID}?{query}").content.decode()
    assert 'name="start" value="2026-01-01"' in html
    assert 'name="end" value="2026-12-31"' in html
    assert 'name="item_name" value="Alpine Mug"' in html
    assert f'name="item" value="{mug.pk}"' in html
    assert '<option value="paid" selected>' in html
    assert '<option value="online" selected>' in html
    # "Every item matching" means these filters.
    assert f'name="filters" value="start=2026-01-01&amp;end=2026-12-31&amp;item={mug.pk}' in html


def test_empty_states_say_what_to_do(staff_client):
    assert "No items sold yet." in staff_client.get(GRID).content.decode()
    OrderLineFactory(order=OrderFactory(status=OrderStatus.PENDING))
    filtered = staff_client.get(GRID, {"status": "complete"}).content.decode()
    assert "No items match these filters." in filtered and "clear the filters" in filtered


def test_ignored_filters_are_listed_on_the_page(staff_client):
    html = staff_client.get(GRID, {"start": "yesterday"}).content.decode()
    assert "Some filters were ignored" in html and "From: Enter a valid date." in html


def test_anonymous_users_are_sent_to_log_in(client):
    for url in (GRID, ITEMS, COUNT):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/")


def test_users_without_view_order_are_refused(client):
    user = UserFactory()
    user.save()
    client.force_login(user)
    assert client.get(GRID).status_code == 403
    assert client.get(ITEMS, {"q": "mug"}).status_code == 403
    assert client.post(ACTION, {"action": "flag_sent"}).status_code == 403


# ---- Type-ahead and count ------------------------------------------------------------------


def test_the_item_type_ahead_matches_words_and_suggests_ten_at_most(staff_client):
    for n in range(12):
        ProductFactory(name=f"Harbor Mug {n:02d}")
    ProductFactory(name="Mugwort Tea")
    ProductFactory(name="Alpine Teapot", is_active=False)
    found = staff_client.get(ITEMS, {"q": "mug"}).json()["results"]
    assert len(found) == 10
    # Names that start with what was typed come first.
    assert found[0]["name"] == "Mugwort Tea"
    teapot = staff_client.get(ITEMS, {"q": "alp tea"}).json()["results"]
    assert [(r["name"], r["active"]) for r in teapot] == [("Alpine Teapot", False)]
    assert staff_client.get(ITEMS, {"q": "  "}).json() == {"results": []}


def test_the_count_behind_select_all_matching_is_capped(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "SELECTION_CAP", 3)
    for _ in range(2):
        OrderLineFactory(order=OrderFactory(status=OrderStatus.PAID))
    assert staff_client.get(COUNT, {"status": "paid"}).json() == {
        "count": 2,
        "more": False,
        "cap": 3,
    }
    for _ in range(3):
        OrderLineFactory(order=OrderFactory(status=OrderStatus.PAID))
    assert staff_client.get(COUNT, {"status": "paid"}).json() == {
        "count": 3,
        "more": True,
        "cap": 3,
    }


# ---- Flag selected item(s) as sent ----------------------------------------------------------


def test_flag_sent_sends_what_it_can_and_says_what_it_refused_and_why(staff_client, staff_user):
    paid = OrderFactory(status=OrderStatus.PAID)
    box, mug = shippable(paid, quantity=2), shippable(paid)
    in_process = OrderFactory(status=OrderStatus.IN_PROCESS)
    lamp = shippable(in_process)
    cancelled = OrderFactory(status=OrderStatus.CANCELLED)
    refused = shippable(cancelled)
    ebook = OrderLineFactory(
        order=in_process,
        variant=VariantFactory(product=ProductFactory(is_shippable=False)),
        fulfilment_status=Fulfilment.NOT_REQUIRED,
    )
    sent = shippable(in_process, quantity_fulfilled=1, fulfilment_status=Fulfilment.FULFILLED)
    selected = [box, mug, lamp, refused, ebook, sent]

    response = staff_client.post(
        ACTION,
        {
            "action": "flag_sent",
            "line": [str(a_line.id) for a_line in selected],
            "next": f"{GRID}?status=paid",
        },
        follow=True,
    )

    assert response.redirect_chain == [(f"{GRID}?status=paid", 302)]
    done, why = messages_of(response)
    assert done == "3 items on 2 orders flagged as sent."
    assert why == (
        "Not flagged as sent: "
        f"1 item (#{in_process.number}): the item does not ship (nothing to send); "
        f"1 item (#{in_process.number}): already sent; "
        f"1 item (#{cancelled.number}): the order is Cancelled: only paid or in-process "
        "orders ship."
    )
    for a_line in (box, mug, lamp):
        a_line.refresh_from_db()
        assert a_line.fulfilment_status == Fulfilment.FULFILLED
        assert a_line.quantity_fulfilled == a_line.quantity
    refused.refresh_from_db()
    assert refused.fulfilment_status == Fulfilment.UNFULFILLED
    event = OrderEvent.objects.get(order=paid, kind=OrderEvent.Kind.SHIPPING)
    assert event.actor == staff_user and box.sku in event.message
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELLED


def test_flag_sent_on_every_match_applies_to_the_filter_not_to_the_ids(staff_client):
    paid = [shippable(OrderFactory(status=OrderStatus.PAID)) for _ in range(3)]
    other = shippable(OrderFactory(status=OrderStatus.IN_PROCESS))
    response = staff_client.post(
        ACTION,
        {
            "action": "flag_sent",
            "scope": "matching",
            "filters": "status=paid",
            "line": [str(paid[0].id)],  # what the page had ticked: not what counts
        },
        follow=True,
    )
    assert messages_of(response) == ["3 items on 3 orders flagged as sent."]
    assert (
        OrderLine.objects.filter(
            pk__in=[a_line.id for a_line in paid], fulfilment_status=Fulfilment.FULFILLED
        ).count()
        == 3
    )
    other.refresh_from_db()
    assert other.fulfilment_status == Fulfilment.UNFULFILLED


def test_every_match_beyond_the_cap_is_refused_whole(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "SELECTION_CAP", 2)
    lines = [shippable(OrderFactory(status=OrderStatus.PAID)) for _ in range(3)]
    response = staff_client.post(
        ACTION, {"action": "flag_sent", "scope": "matching", "filters": ""}, follow=True
    )
    (message,) = messages_of(response)
    assert message.startswith("Nothing was flagged as sent: more than 2 items match")
    assert not OrderLine.objects.filter(
        pk__in=[a_line.id for a_line in lines], fulfilment_status=Fulfilment.FULFILLED
    ).exists()


def test_an_action_without_a_selection_changes_nothing(staff_client):
    response = staff_client.post(ACTION, {"action": "flag_sent"}, follow=True)
    assert messages_of(response) == ["Select the items first: nothing was changed."]


def test_an_unknown_action_or_a_bad_id_is_refused(staff_client):
    assert staff_client.post(ACTION, {"action": "delete_everything"}).status_code == 404
    assert staff_client.post(ACTION, {"action": "flag_sent", "line": "x"}).status_code == 400


def test_an_offsite_next_is_not_followed(staff_client):
    a_line = shippable(OrderFactory(status=OrderStatus.PAID))
    response = staff_client.post(
        ACTION,
        {"action": "flag_sent", "line": [a_line.id], "next": "https://evil.example/"},
    )
    assert response["Location"] == GRID


def test_the_action_needs_the_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    a_line = shippable(OrderFactory(status=OrderStatus.PAID))
    assert client.post(ACTION, {"action": "flag_sent", "line": [a_line.id]}).status_code == 403
    a_line.refresh_from_db()
    assert a_line.fulfilment_status == Fulfilment.UNFULFILLED


def test_a_viewer_without_the_shipping_permission_cannot_flag(viewer_client):
    a_line = shippable(OrderFactory(status=OrderStatus.PAID))
    response = viewer_client.get(GRID)
    html = response.content.decode()
    assert rows(response) == [a_line.id]
    assert "Flag selected item(s) as sent" not in html
    assert 'name="line"' not in html
    response = viewer_client.post(ACTION, {"action": "flag_sent", "line": [a_line.id]})
    assert response.status_code == 403
    a_line.refresh_from_db()
    assert a_line.fulfilment_status == Fulfilment.UNFULFILLED
