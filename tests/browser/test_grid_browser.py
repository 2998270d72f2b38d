"""Workflow 3 in a real browser (seed 000): open the transactions grid, filter it by dates and
by an item chosen in the type-ahead, right-click a row and flag it as sent; open the same menu
from the keyboard and from the ⋯ button; select rows with shift-click and act on them."""

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from orders.actors import Actor
from orders.grid import selectors
from orders.models import OrderLine, OrderStatus
from orders.services import order_transition
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
GRID = reverse("orders:grid")


def violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [
        f"{v['id']}: {v['help']} at " + ", ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
    ]


def sold(product, *, day: int, month: int = 3, status=OrderStatus.PAID, **fields):
    order = OrderFactory(
        status=status, placed_at=datetime(2026, month, day, 15, tzinfo=UTC), **fields
    )
    return OrderLineFactory(order=order, variant=VariantFactory(product=product))


@pytest.fixture
def store(db):
    mug = ProductFactory(name="Alpine Mug")
    tee = ProductFactory(name="Harbor Tee")
    first = sold(mug, day=5, customer_name="Ada Lovelace")
    OrderLineFactory(order=first.order, variant=VariantFactory(product=tee))
    second = sold(mug, day=20, customer_name="Grace Hopper", status=OrderStatus.PENDING)
    order_transition(
        order_id=second.order_id, to=OrderStatus.PAID, actor=Actor.system(), payment_recorded=True
    )
    sold(mug, day=1, month=2)  # before the dates chosen
    sold(tee, day=10)  # another item
    UserFactory(role="staff", username="clerk")
    return {"mug": mug, "first": first, "second": second}


def row(page, a_line):
    return page.locator(f"#line-{a_line.pk}")


def filter_by_march_and_the_mug(page, store):
    page.fill("#grid-start", "2026-03-01")
    page.fill("#grid-end", "2026-03-31")
    page.locator("#grid-item").press_sequentially("mug", delay=30)
    option = page.get_by_role("option", name="Alpine Mug")
    option.wait_for()
    page.keyboard.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"item={store['mug'].pk}"))


def test_filter_by_dates_and_item_then_right_click_to_flag_as_sent(page, login, live_server, store):
    login("clerk", "pass-word-123", next_path=GRID)
    assert page.locator("tbody tr[data-line]").count() == 5
    filter_by_march_and_the_mug(page, store)

    # The filters are in the URL (bookmarkable), without the redundant typed name.
    url = page.url
    assert "start=2026-03-01" in url and "end=2026-03-31" in url and "item_name" not in url
    lines = [store["second"], store["first"]]
    assert page.locator("tbody tr[data-line]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.line))"
    ) == [a_line.pk for a_line in lines]
    assert page.locator("#grid-item").input_value() == "Alpine Mug"
    # Items of a paid order carry its invoice number.
    assert re.match(
        r"INV-\d{6}", row(page, store["second"]).locator(".invoice-number").inner_text()
    )

    target = row(page, store["second"])
    target.locator(".item-name").click(button="right")
    menu = page.get_by_role("menu", name="Item actions")
    menu.wait_for()
    items = menu.get_by_role("menuitem").all_inner_texts()
    assert items == ["View invoice", "View order", "Flag selected item(s) as sent"]
    assert page.evaluate("document.activeElement.textContent") == "View invoice"
    page.screenshot(caret="initial", path="/tmp/grid_menu.png", full_page=True)
    menu.get_by_role("menuitem", name="Flag selected item(s) as sent").click()

    page.wait_for_load_state()
    message = page.locator("#messages")
    message.get_by_text("1 item on 1 order flagged as sent.").wait_for()
    assert row(page, store["second"]).locator(".sent").inner_text() == "Sent"
    assert row(page, store["first"]).locator(".sent").inner_text() == "Not sent"
    assert "start=2026-03-01" in page.url  # back on the same view
    store["second"].refresh_from_db()
    assert store["second"].fulfilment_status == OrderLine.Fulfilment.FULFILLED


def test_the_row_menu_opens_from_the_keyboard_and_the_button(page, login, live_server, store):
    login("clerk", "pass-word-123", next_path=GRID)
    first_row = page.locator("tbody tr[data-line]").first
    # One tab stop for the rows; arrows move between them.
    first_row.focus()
    page.keyboard.press("ArrowDown")
    second_row = page.locator("tbody tr[data-line]").nth(1)
    assert second_row.evaluate("r => r === document.activeElement")

    page.keyboard.press("Shift+F10")
    menu = page.get_by_role("menu", name="Item actions")
    menu.wait_for()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "menuitem"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == "View order"
    page.keyboard.press("Escape")
    assert menu.is_hidden()
    assert second_row.evaluate("r => r === document.activeElement")  # focus comes back
    # The menu acted on the focused row: it is selected.
    assert second_row.locator("input[name=line]").is_checked()

    page.keyboard.press("ContextMenu")
    menu.wait_for()
    page.keyboard.press("ArrowDown")
    order_url = second_row.get_attribute("data-order-url")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{order_url}")

    page.go_back()
    button = page.locator("tbody tr[data-line]").first.get_by_role(
        "button", name=re.compile("Actions for")
    )
    button.click()
    menu.wait_for()
    assert button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert button.evaluate("b => b === document.activeElement")
    assert button.get_attribute("aria-expanded") == "false"


def test_shift_click_selects_a_range_and_the_page_passes_axe(page, login, live_server, store):
    login("clerk", "pass-word-123", next_path=GRID)
    rows = page.locator("tbody tr[data-line]")
    rows.nth(0).locator(".item-name").click()
    rows.nth(3).locator(".item-name").click(modifiers=["Shift"])
    checked = page.locator("tbody input[name=line]:checked")
    assert checked.count() == 4
    assert page.locator("[data-selection-status]").inner_text() == "4 items selected."
    page.locator("[data-select-page]").check()
    assert checked.count() == 5

    problems = violations(page)
    rows.nth(0).locator(".item-name").click(button="right")
    page.get_by_role("menu").wait_for()
    problems += [f"with the menu open: {problem}" for problem in violations(page)]
    assert not problems, problems


def test_select_every_match_across_pages_and_flag_them(page, login, live_server, monkeypatch):
    monkeypatch.setattr(selectors, "PER_PAGE", 3)
    mug = ProductFactory(name="Alpine Mug")
    lines = [sold(mug, day=1 + i) for i in range(5)]
    sold(mug, day=9, status=OrderStatus.CANCELLED)
    UserFactory(role="staff", username="clerk")
    login("clerk", "pass-word-123", next_path=f"{GRID}?status=paid")
    assert page.locator("tbody tr[data-line]").count() == 3

    page.locator("[data-select-page]").check()
    banner = page.locator("[data-select-banner]")
    assert "All 3 items on this page are selected." in banner.inner_text()
    banner.get_by_role("button", name="Select every item that matches these filters").click()
    banner.get_by_text("All 5 items matching these filters are selected.").wait_for()

    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.locator(".grid-actionbar").get_by_role(
        "button", name="Flag selected item(s) as sent"
    ).click()
    page.locator("#messages").get_by_text("5 items on 5 orders flagged as sent.").wait_for()
    assert dialogs == [
        "Flag selected item(s) as sent: apply to all 5 items matching these filters?"
    ]
    assert not OrderLine.objects.filter(
        pk__in=[a_line.pk for a_line in lines], quantity_fulfilled=0
    ).exists()
