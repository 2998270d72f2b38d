"""The order list as an order desk (issue 5): tab counts that stay cheap, search by name, email
and number prefix, filters for status, payment, channel, dates and risk in any combination,
bulk status changes with their summary, and who may do what."""

import html
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import selectors
from orders import views as order_views
from orders.filters import number_prefix_ranges
from orders.models import Channel, Order, OrderEvent, OrderStatus, PaymentState, RiskLevel
from tests.factories import OrderFactory, order_with_lines

pytestmark = pytest.mark.django_db
LIST = reverse("orders:list")
BULK = reverse("orders:bulk_status")
NOW = timezone.now()


def listed(response) -> list[int]:
    """Order numbers in the list, in the order shown."""
    return [int(n) for n in re.findall(r'<tr id="order-(\d+)"', response.content.decode())]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def order(minutes_ago: int = 1, *, payment: str = PaymentState.UNPAID, **fields) -> Order:
    """An order placed `minutes_ago`, with the paid dates that give it `payment`."""
    at = NOW - timedelta(minutes=minutes_ago)
    dates = {
        PaymentState.UNPAID: {},
        PaymentState.PAID: {"paid_at": at, "first_paid_at": at},
        PaymentState.REFUNDED: {"first_paid_at": at},
    }[payment]
    return OrderFactory(placed_at=at, **dates, **fields)


# ---- Filters ------------------------------------------------------------------------------


def test_payment_state_follows_the_paid_dates():
    unpaid, paid, refunded = (order(payment=p) for p in ["unpaid", "paid", "refunded"])
    states = dict(Order.objects.values_list("pk", "payment_state"))
    assert states == {unpaid.pk: "unpaid", paid.pk: "paid", refunded.pk: "refunded"}


@pytest.mark.parametrize("payment", PaymentState.values)
def test_the_list_filters_by_payment(staff_client, payment):
    orders = {p: order(i, payment=p) for i, p in enumerate(PaymentState.values)}
    assert listed(staff_client.get(LIST, {"payment": payment})) == [orders[payment].number]


@pytest.mark.parametrize("risk", RiskLevel.values)
def test_the_list_filters_by_risk(staff_client, risk):
    orders = {r: order(i, risk_level=r) for i, r in enumerate(RiskLevel.values)}
    order(9, risk_level="")  # not rated: in no risk's list
    assert listed(staff_client.get(LIST, {"risk": risk})) == [orders[risk].number]


def test_the_date_range_is_whole_days_in_the_store_timezone(staff_client, settings):
    settings.TIME_ZONE = "America/New_York"
    # 03:30 UTC on May 1st is still April 30th in New York.
    late_april = OrderFactory(placed_at=datetime(2024, 5, 1, 3, 30, tzinfo=UTC))
    first_may = OrderFactory(placed_at=datetime(2024, 5, 1, 4, 30, tzinfo=UTC))
    last_may = OrderFactory(placed_at=datetime(2024, 6, 1, 3, 59, tzinfo=UTC))
    OrderFactory(placed_at=datetime(2024, 6, 1, 4, 0, tzinfo=UTC))  # June 1st in New York
    may = staff_client.get(LIST, {"placed_from": "2024-05-01", "placed_to": "2024-05-31"})
    assert listed(may) == [last_may.number, first_may.number]
    april = staff_client.get(LIST, {"placed_to": "2024-04-30"})
    assert listed(april) == [late_april.number]
    one_day = staff_client.get(LIST, {"placed_from": "2024-05-01", "placed_to": "2024-05-01"})
    assert listed(one_day) == [first_may.number]


# Every combination of the five filters, each set to one value, against orders that differ
# in each of them: the list shows exactly the orders that pass every filter set.
FILTER_VALUES = {
    "status": OrderStatus.PAID,
    "payment": PaymentState.REFUNDED,
    "channel": Channel.IN_STORE,
    "risk": RiskLevel.HIGH,
    "dates": ("2024-03-01", "2024-03-31"),
}
COMBINATIONS = [
    combo
    for size in range(1, len(FILTER_VALUES) + 1)
    for combo in itertools.combinations(FILTER_VALUES, size)
]


def _passes(o: Order, combo) -> bool:
    checks = {
        "status": o.status == FILTER_VALUES["status"],
        "payment": o.payment_state == FILTER_VALUES["payment"],
        "channel": o.channel == FILTER_VALUES["channel"],
        "risk": o.risk_level == FILTER_VALUES["risk"],
        "dates": datetime(2024, 3, 1, tzinfo=UTC) <= o.placed_at < datetime(2024, 4, 1, tzinfo=UTC),
    }
    return all(checks[name] for name in combo)


@pytest.fixture
def varied_orders():
    """32 orders: every mix of each filter's value and another one."""
    made = []
    for i, (status, payment, channel, risk, in_march) in enumerate(
        itertools.product(
            [OrderStatus.PAID, OrderStatus.CANCELLED],
            [PaymentState.REFUNDED, PaymentState.PAID],
            [Channel.IN_STORE, Channel.ONLINE],
            [RiskLevel.HIGH, RiskLevel.LOW],
            [True, False],
        )
    ):
        placed = datetime(2024, 3 if in_march else 4, 1 + i % 28, 12, tzinfo=UTC)
        dates = {"first_paid_at": placed}
        if payment == PaymentState.PAID:
            dates["paid_at"] = placed
        made.append(
            OrderFactory(status=status, channel=channel, risk_level=risk, placed_at=placed, **dates)
        )
    return list(Order.objects.filter(pk__in=[o.pk for o in made]))


@pytest.mark.parametrize("combo", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
def test_every_combination_of_filters(staff_client, varied_orders, combo):
    params = {name: FILTER_VALUES[name] for name in combo if name != "dates"}
    if "dates" in combo:
        params["placed_from"], params["placed_to"] = FILTER_VALUES["dates"]
    expected = sorted(
        (o for o in varied_orders if _passes(o, combo)),
        key=lambda o: (o.placed_at, o.pk),
        reverse=True,
    )
    response = staff_client.get(LIST, {**params, "per_page": 50})
    assert listed(response) == [o.number for o in expected]
    assert expected  # every combination matches some of the orders


def test_filters_live_in_the_url_and_the_form_shows_them(staff_client):
    html = staff_client.get(
        LIST, {"status": "paid", "payment": "paid", "risk": "high", "placed_from": "2024-03-01"}
    ).content.decode()
    assert '<option value="paid" selected>Paid</option>' in html
    assert '<option value="high" selected>High risk</option>' in html
    assert 'name="placed_from" form="order-filters" value="2024-03-01"' in html
    # The tabs keep the filters and change the channel.
    assert re.search(r'href="/orders/\?[^"]*channel=online[^"]*"', html)
    assert "risk=high" in re.search(r'href="(/orders/\?[^"]*channel=online[^"]*)"', html)[1]


def test_invalid_filter_values_are_ignored_with_a_note_and_the_rest_apply(staff_client):
    paid = order(1, payment=PaymentState.PAID)
    order(2, payment=PaymentState.UNPAID)
    response = staff_client.get(
        LIST,
        {"payment": "paid", "status": "lost", "risk": "extreme", "placed_from": "2024-02-31"},
    )
    assert response.status_code == 200
    assert listed(response) == [paid.number]
    note = re.search(
        r'<p class="list-note list-note-warning"[^>]*>(.*?)</p>', response.content.decode(), re.S
    )[1]
    assert "Status: “lost” is not one of the choices." in note
    assert "Risk: “extreme” is not one of the choices." in note
    assert "Placed from: Enter a valid date." in note


def test_an_end_date_before_the_start_is_ignored_with_a_note(staff_client):
    older = order(60 * 24 * 3)
    newer = order(1)
    today = timezone.localdate()
    response = staff_client.get(
        LIST, {"placed_from": str(today - timedelta(days=1)), "placed_to": "2020-01-01"}
    )
    assert listed(response) == [newer.number]
    assert "is before the start date" in response.content.decode()
    assert older.number not in listed(response)


def test_no_match_says_what_to_do(staff_client):
    order(1, risk_level=RiskLevel.LOW)
    html = staff_client.get(LIST, {"risk": "high"}).content.decode()
    assert "No orders match these filters." in html and "clear the filters" in html


# ---- Search -------------------------------------------------------------------------------


def test_search_by_the_start_of_a_name_in_any_case(staff_client):
    ada = order(1, customer_name="Ada Lovelace", customer_email="countess@example.com")
    order(2, customer_name="Adam Smith", customer_email="adam@example.com")
    assert listed(staff_client.get(LIST, {"q": "ada lo"})) == [ada.number]
    assert listed(staff_client.get(LIST, {"q": "ADA L"})) == [ada.number]


def test_search_finds_the_start_of_any_word_of_the_name(staff_client):
    anne = order(1, customer_name="Anne Smith", customer_email="a1@example.com")
    jo = order(2, customer_name="Jo Smithson-Lee", customer_email="jo@example.com")
    order(3, customer_name="Tim Goldsmith", customer_email="tim@example.com")
    assert listed(staff_client.get(LIST, {"q": "smith"})) == [anne.number, jo.number]
    assert listed(staff_client.get(LIST, {"q": "SMITH"})) == [anne.number, jo.number]
    assert listed(staff_client.get(LIST, {"q": "lee"})) == [jo.number]
    assert listed(staff_client.get(LIST, {"q": "smith anne"})) == [anne.number]
    # The start of a word, never the middle of one.
    assert listed(staff_client.get(LIST, {"q": "mith"})) == []


def test_search_finds_the_start_of_any_word_of_the_email_local_part(staff_client):
    dotted = order(1, customer_name="", customer_email="anne.smith@x.example")
    plus = order(2, customer_name="", customer_email="shop+smith_j@example.com")
    order(3, customer_name="", customer_email="asmith@example.com")
    order(4, customer_name="", customer_email="kim@smith.example")  # a domain is not a name
    assert listed(staff_client.get(LIST, {"q": "smith"})) == [dotted.number, plus.number]
    assert listed(staff_client.get(LIST, {"q": "j"})) == [plus.number]
    assert listed(staff_client.get(LIST, {"q": "mith"})) == []


def test_a_search_by_words_pages_and_sorts_like_the_list(staff_client):
    smiths = [order(i, customer_name=f"Anne Smith{i}") for i in range(1, 8)]
    order(9, customer_name="Tim Goldsmith")
    seen, url = [], f"{LIST}?q=smith&per_page=3"
    while url:
        response = staff_client.get(url)
        seen += listed(response)
        following = re.search(r'href="([^"]+)" rel="next"', response.content.decode())
        url = following and html.unescape(following[1])
    assert seen == [smith.number for smith in smiths]
    back, url = (
        [],
        html.unescape(re.search(r'href="([^"]+)" rel="prev"', response.content.decode())[1]),
    )
    while url:  # and back again, from the last page (the page's ids are read first)
        response = staff_client.get(url)
        back = listed(response) + back
        previous = re.search(r'href="([^"]+)" rel="prev"', response.content.decode())
        url = previous and html.unescape(previous[1])
    assert back == seen[: len(back)] and len(back) == 6  # the pages before the last
    oldest_first = listed(staff_client.get(LIST, {"q": "smith", "sort": "placed_at"}))
    assert oldest_first == [smith.number for smith in reversed(smiths)]
    by_total = listed(staff_client.get(LIST, {"q": "anne smi", "sort": "-total"}))
    assert by_total == [o.number for o in sorted(smiths, key=lambda o: (-o.total, -o.id))]


def test_search_finds_guests_by_a_word_guest(staff_client):
    by_name = order(1, customer_name="Store Guest", customer_email="till@example.com")
    by_email = order(2, customer_name="", customer_email="guest-4711@example.com")
    order(3, customer_name="Anne Smith", customer_email="anne@guesthouse.example")
    assert listed(staff_client.get(LIST, {"q": "Guest"})) == [by_name.number, by_email.number]


def test_search_for_what_no_word_starts_with_says_nothing_about_dates(staff_client):
    order(1, customer_name="Anne Smith")
    html = staff_client.get(LIST, {"q": "zebedee"}).content.decode()
    assert "No orders match" in html and "clear the filters" in html
    assert "Widen the dates" not in html
    html = staff_client.get(LIST, {"q": "zebedee", "placed_from": "2020-01-01"}).content.decode()
    assert "Widen the dates" in html


def test_search_by_a_whole_email_or_its_start(staff_client):
    ada = order(1, customer_name="A. L.", customer_email="ada.lovelace@example.com")
    order(2, customer_name="G. H.", customer_email="grace@example.com")
    for typed in ["Ada.Lovelace@Example.com", "ada.lovelace@ex", "ada.love"]:
        assert listed(staff_client.get(LIST, {"q": typed})) == [ada.number], typed


def test_a_name_search_also_finds_the_start_of_an_email(staff_client):
    by_name = order(1, customer_name="Grace Hopper", customer_email="gh@example.com")
    by_email = order(2, customer_name="", customer_email="grace.k@example.com")
    assert listed(staff_client.get(LIST, {"q": "grace"})) == [by_name.number, by_email.number]


def test_the_number_prefix_ranges_reach_the_largest_number():
    ranges = number_prefix_ranges(104)
    assert ranges[:3] == [(104, 104), (1040, 1049), (10400, 10499)]
    assert ranges[-1] == (1040000000000000000, 1049999999999999999)  # 19 digits; 20 are > 2**63
    assert number_prefix_ranges(9)[-1] == (9000000000000000000, 2**63 - 1)
    assert number_prefix_ranges(0) == []


def test_search_by_number_prefix_lists_those_orders_by_number(staff_client):
    numbers = [104, 1040, 1049, 10423, 105, 2104, 1041]
    for n in numbers:
        OrderFactory(number=n)
    response = staff_client.get(LIST, {"q": "104"})
    # #104 exists, so typing it opens it; the list is for numbers nobody has.
    assert response.status_code == 302
    Order.objects.filter(number=104).delete()
    response = staff_client.get(LIST, {"q": "104"})
    assert listed(response) == [10423, 1049, 1041, 1040]
    assert "these are the orders whose number starts with 104" in response.content.decode()


def test_a_number_prefix_search_pages_across_its_ranges(staff_client):
    numbers = [30 + i for i in range(10)] + [300 + i for i in range(100)]
    Order.objects.bulk_create(OrderFactory.build(number=n, placed_at=NOW) for n in numbers)
    seen, url = [], f"{LIST}?q=3&per_page=25"
    while url:
        response = staff_client.get(url)
        seen += listed(response)
        following = re.search(r'href="([^"]+)" rel="next"', response.content.decode())
        url = following and html.unescape(following[1])
    assert seen == sorted(numbers, reverse=True)


def test_an_unknown_number_says_so(staff_client):
    order(1)
    response = staff_client.get(LIST, {"q": "#987654321"})
    assert listed(response) == []
    assert "No order #987654321, and no order number starts with it" in response.content.decode()


# ---- Tab counts ---------------------------------------------------------------------------


def tab_counts(response) -> dict[str, str]:
    html = response.content.decode()
    nav = re.search(r'<nav class="subnav" aria-label="Order views">(.*?)</nav>', html, re.S)[1]
    return dict(re.findall(r">([A-Za-z ]+) <span class=\"tab-count\"[^>]*>([^<]+)</span>", nav))


def test_tabs_count_each_channel_with_the_filters_they_keep(staff_client):
    for i in range(3):
        order(i, channel=Channel.ONLINE, risk_level=RiskLevel.HIGH)
    order(5, channel=Channel.ONLINE, risk_level=RiskLevel.LOW)
    order(6, channel=Channel.IN_STORE, risk_level=RiskLevel.HIGH)
    counts = tab_counts(staff_client.get(LIST, {"risk": "high", "channel": "online"}))
    assert counts == {"All": "4", "Online": "3", "In store": "1", "Back office": "0"}
    # A search is not kept by the tabs, so it does not narrow their counts.
    counts = tab_counts(staff_client.get(LIST, {"q": "nobody"}))
    assert counts == {"All": "5", "Online": "4", "In store": "1", "Back office": "0"}


def test_tab_counts_stop_at_the_cap(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "TAB_COUNT_CAP", 3)
    for i in range(5):
        order(i, channel=Channel.ONLINE)
    order(9, channel=Channel.IN_STORE)
    with CaptureQueriesContext(connection) as queries:
        counts = tab_counts(staff_client.get(LIST))
    assert counts == {"All": "3+", "Online": "3+", "In store": "1", "Back office": "0"}
    (count_sql,) = [q["sql"] for q in queries.captured_queries if "count(*)" in q["sql"]]
    assert count_sql.count("LIMIT 4") == 3  # each channel stops at the cap's next row


# ---- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "paid", "risk": "high", "payment": "paid"},
        {"q": "1"},
        {"q": "buyer"},
        {"q": "smith"},
        {"q": "buyer.smith@example.com"},
    ],
    ids=["all", "filtered", "number prefix", "name", "word of a name", "email"],
)
def test_the_list_runs_as_many_queries_for_10_rows_as_for_100(staff_client, params):
    def make(count):
        for _ in range(count):
            order_with_lines(
                lines=2,
                status=OrderStatus.PAID,
                risk_level=RiskLevel.HIGH,
                paid_at=NOW,
                first_paid_at=NOW,
                customer_name="Buyer Smith",
                customer_email="buyer.smith@example.com",
            )

    make(10)
    staff_client.get(LIST, params)  # warm: the session and the permission set are cached
    with CaptureQueriesContext(connection) as ten:
        assert len(listed(staff_client.get(LIST, {**params, "per_page": 100}))) == 10
    make(90)
    with CaptureQueriesContext(connection) as hundred:
        assert len(listed(staff_client.get(LIST, {**params, "per_page": 100}))) == 100
    assert len(ten) == len(hundred)
    # The user, the page, the tabs' counts, the saved views; a number search adds the
    # exact-number lookup and the newest number (which of its ranges can hold orders), a
    # search for words the page's ids (read before their rows, orders.selectors._first_rows).
    extra = {"1": 2, "buyer": 1, "smith": 1}.get(params.get("q"), 0)
    assert len(hundred) == 4 + extra


# ---- Bulk status changes --------------------------------------------------------------------


def test_bulk_change_changes_each_order_and_summarises_the_refused(staff_client, staff_user):
    ready = [order_with_lines(lines=1, status=OrderStatus.PAID) for _ in range(3)]
    digital = order_with_lines(lines=0, status=OrderStatus.PAID)  # nothing to ship
    done = order_with_lines(lines=1, status=OrderStatus.COMPLETE)
    chosen = [*ready, digital, done]
    response = staff_client.post(
        BULK,
        {"to": "in_process", "order": [o.number for o in chosen], "next": LIST},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == LIST
    (summary,) = messages_of(response)
    assert summary.startswith("3 changed to In process; 2 refused: ")
    assert (
        f"#{digital.number} Paid → In process: Nothing on this order ships; complete it instead"
        in summary
    )
    assert (
        f"#{done.number} Complete → In process: Complete cannot become In process."
        " This order shipped, so Complete is final" in summary
    )
    statuses = dict(Order.objects.values_list("number", "status"))
    assert [statuses[o.number] for o in chosen] == ["in_process"] * 3 + ["paid", "complete"]
    # Each change is on its order's timeline, by whom, as a single change would be.
    event = OrderEvent.objects.get(order=ready[0], kind=OrderEvent.Kind.STATUS)
    assert (event.from_status, event.to_status, event.actor) == ("paid", "in_process", staff_user)


def test_bulk_change_of_every_matching_order_across_pages(staff_client):
    pending = [order(i, channel=Channel.ONLINE) for i in range(7)]
    other = order(20, channel=Channel.IN_STORE)
    response = staff_client.post(
        BULK,
        {
            "to": "cancelled",
            "scope": "matching",
            "query": "channel=online&per_page=2",
            "next": LIST,
        },
        follow=True,
    )
    assert messages_of(response) == ["7 changed to Cancelled."]
    assert set(Order.objects.filter(status="cancelled")) == set(pending)
    other.refresh_from_db()
    assert other.status == OrderStatus.PENDING


def test_bulk_change_of_every_matching_order_stops_at_the_cap(staff_client, monkeypatch):
    monkeypatch.setattr(order_views, "BULK_CAP", 2)
    orders = [order(i) for i in range(3)]  # newest first: orders[0], orders[1] change
    response = staff_client.post(
        BULK, {"to": "cancelled", "scope": "matching", "query": "", "next": LIST}, follow=True
    )
    (summary,) = messages_of(response)
    assert summary.startswith("2 changed to Cancelled.")
    assert "Only the first 2 matching orders were changed" in summary
    statuses = [Order.objects.get(pk=o.pk).status for o in orders]
    assert statuses == ["cancelled", "cancelled", "pending"]


@pytest.mark.parametrize("to", ["paid", "shipped"])
def test_bulk_change_never_pays_or_ships(staff_client, to):
    target = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = staff_client.get(LIST).content.decode()
    bulk_menu = re.search(r'<form id="bulk-status".*?</form>', html, re.S)[0]
    assert f'<option value="{to}"' not in bulk_menu
    assert "Paid and Shipped are not offered here" in bulk_menu
    response = staff_client.post(BULK, {"to": to, "order": [target.number]}, follow=True)
    (message,) = messages_of(response)
    assert message.startswith(f"No order was changed: {to.capitalize()} is not a bulk change")
    target.refresh_from_db()
    assert target.status == OrderStatus.PAID


def test_bulk_change_without_a_choice_says_what_to_do(staff_client):
    response = staff_client.post(BULK, {"to": "cancelled"}, follow=True)
    assert messages_of(response) == [
        "No order was changed: Tick the orders to change, or choose all orders matching the "
        "filters."
    ]


def test_the_plain_bulk_form_works_without_javascript(staff_client):
    """The tick boxes belong to the bulk form by their form attribute, so a plain submit
    carries them; the select-all box is the only part that needs JavaScript."""
    target = order(1)
    html = staff_client.get(LIST).content.decode()
    assert re.search(
        rf'<input type="checkbox" name="order" value="{target.number}" form="bulk-status"', html
    )
    assert '<form id="bulk-status" class="bulk-bar" method="post" action="/orders/status/"' in html
    assert 'data-select-page aria-label="Select every order on this page" hidden' in html


# ---- Permissions ----------------------------------------------------------------------------


def test_a_viewer_sees_no_tick_boxes_nor_bulk_or_row_actions(viewer_client):
    target = order_with_lines(lines=1, status=OrderStatus.PAID)
    html = viewer_client.get(LIST).content.decode()
    assert listed_html(html) == [target.number]
    assert 'name="order"' not in html
    assert "bulk-status" not in html
    assert 'name="to"' not in html


def listed_html(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="order-(\d+)"', html)]


def test_a_viewer_is_refused_the_bulk_and_row_changes(viewer_client):
    target = order_with_lines(lines=1, status=OrderStatus.PAID)
    client = viewer_client
    assert client.post(BULK, {"to": "cancelled", "order": [target.number]}).status_code == 403
    status_url = reverse("orders:status_change", args=[target.number])
    assert client.post(status_url, {"to": "cancelled"}).status_code == 403
    target.refresh_from_db()
    assert target.status == OrderStatus.PAID
