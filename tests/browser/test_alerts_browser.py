"""Workflow 2's staff alert in a real browser: an online order pushed through the intake API
shows in the nav of an open back-office page without a reload (and chimes, the bell being
on); clicking the badge lists it, tagged New, and clears the badge."""

import json
import re
import urllib.request
from decimal import Decimal

import pytest

from orders.models import Channel, NewOrdersMarker, Order
from tests.browser.test_accessibility_browser import violations
from tests.factories import OrderFactory, ProductFactory, UserFactory, VariantFactory, api_key
from tests.orders.test_api import URL as INTAKE_URL
from tests.orders.test_api import order_body

SCREENSHOTS = "/tmp"
POLL = "/orders/new-online/"

# Counts the tones the page starts, leaving the page's own code as it is.
COUNT_TONES = """
window.__tones = 0;
window.AudioContext = class extends window.AudioContext {
  createOscillator() {
    const tone = super.createOscillator();
    const start = tone.start.bind(tone);
    tone.start = (...args) => { window.__tones += 1; return start(...args); };
    return tone;
  }
};
"""


def push_order(live_server, raw_key: str, idempotency_key: str) -> Order:
    """The storefront (or the register) sends an order, as a separate HTTP client."""
    request = urllib.request.Request(
        f"{live_server.url}{INTAKE_URL}",
        data=json.dumps(order_body(external_ref=idempotency_key)).encode(),
        headers={
            "Authorization": f"Bearer {raw_key}",
            "Idempotency-Key": idempotency_key,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        return Order.objects.get(number=json.load(response)["number"])


def is_poll(response) -> bool:
    return POLL in response.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_online_order_shows_in_the_nav_without_a_reload_and_clears_once_opened(
    page, login, live_server, settings
):
    settings.NEW_ORDERS_POLL_SECONDS = 1
    VariantFactory(sku="TEE-M-RED", product=ProductFactory(name="Tee"), price=Decimal("20.00"))
    clerk = UserFactory(role="staff", username="clerk")
    OrderFactory(channel=Channel.ONLINE)  # already in before the clerk came: not news
    _, storefront = api_key(Channel.ONLINE, name="Storefront")
    _, register = api_key(Channel.IN_STORE, name="Register")
    page.add_init_script(COUNT_TONES)

    login("clerk", "pass-word-123")
    with page.expect_response(is_poll):
        pass  # a poll has answered: the clerk's mark starts at the orders already in
    assert NewOrdersMarker.objects.filter(user=clerk).exists()
    assert page.locator("#new-orders a").count() == 0

    bell = page.get_by_role("button", name="Sound for new online orders")
    bell.click()
    assert bell.get_attribute("aria-pressed") == "true"
    page.wait_for_function("window.__tones === 2")  # the bell plays its chime once, as a preview

    page.evaluate("window.__sameDocument = true")  # a reload would lose it
    push_order(live_server, register, "till-1")  # in store: never counted
    order = push_order(live_server, storefront, "web-1")

    badge = page.get_by_role("link", name="1 new online order")
    badge.wait_for()
    assert page.evaluate("window.__sameDocument") is True
    assert badge.locator("[aria-hidden=true]").inner_text() == "1"
    page.wait_for_function("window.__tones === 4")
    assert not violations(page)
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/new_orders_badge.png")

    badge.click()
    page.wait_for_url(re.compile(r"/orders/\?channel=online&arrived_after=\d+$"))
    row = page.locator(f"#order-{order.number}")
    assert row.locator(".tag-new").inner_text() == "New"
    assert page.locator("tbody tr").count() == 1  # just the new one
    with page.expect_response(is_poll) as poll:
        pass
    assert poll.value.text().strip() == ""
    assert page.locator("#new-orders a").count() == 0
    assert NewOrdersMarker.objects.get(user=clerk).seen_up_to_id == order.pk
    assert not violations(page)
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/new_orders_seen.png")

    # The next one rings again: the bell stayed on across the page load (it is this
    # browser's), and this page counts its own tones.
    push_order(live_server, storefront, "web-2")
    page.get_by_role("link", name="1 new online order").wait_for()
    page.wait_for_function("window.__tones === 2")


# The page's visibility, under the test's control (headless pages are always "visible").
CONTROL_VISIBILITY = """
window.__visibility = "visible";
Object.defineProperty(document, "visibilityState", { get: () => window.__visibility });
window.__setVisibility = (state) => {
  window.__visibility = state;
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_hidden_tab_stops_asking_and_asks_at_once_when_shown_again(
    page, login, live_server, settings
):
    settings.NEW_ORDERS_POLL_SECONDS = 1
    UserFactory(role="staff", username="clerk")
    page.add_init_script(CONTROL_VISIBILITY)
    login("clerk", "pass-word-123")
    with page.expect_response(is_poll):
        pass
    asked = []
    page.on("request", lambda request: asked.append(request.url) if POLL in request.url else None)

    page.evaluate("window.__setVisibility('hidden')")
    page.wait_for_timeout(2500)
    assert asked == [], "a hidden tab kept asking for new orders"
    with page.expect_request(lambda request: POLL in request.url, timeout=3000):
        page.evaluate("window.__setVisibility('visible')")

    # Shown again long before the next poll is due: the badge is refreshed at once.
    settings.NEW_ORDERS_POLL_SECONDS = 600
    with page.expect_response(is_poll):
        page.reload()
    page.evaluate("window.__setVisibility('hidden')")
    with page.expect_request(lambda request: POLL in request.url, timeout=2000):
        page.evaluate("window.__setVisibility('visible')")
