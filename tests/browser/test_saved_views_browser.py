"""Saved views in Chromium: filter the orders list, save it as a shared view, see it as the
open tab; a colleague sees it among their tabs and opens it."""

import pytest

from orders.models import OrderStatus
from tests.factories import UserFactory, order_with_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_save_a_shared_view_and_a_colleague_opens_it(page, login, live_server, new_context):
    UserFactory(role="staff", username="clerk")
    UserFactory(role="staff", username="colleague")
    paid = order_with_lines(lines=1, status=OrderStatus.PAID)
    pending = order_with_lines(lines=1, status=OrderStatus.PENDING)

    login("clerk", "pass-word-123", next_path="/orders/?status=paid")
    page.get_by_text("+ Save view").click()
    page.get_by_label("Save these filters as").fill("Paid, to ship")
    page.get_by_label("Share with everyone").check()
    page.get_by_role("button", name="Save view").click()

    tab = page.get_by_role("link", name="Paid, to ship")
    tab.wait_for()
    assert tab.get_attribute("aria-current") == "page"
    assert (
        page.get_by_role("link", name="All", exact=False).first.get_attribute("aria-current")
        is None
    )
    page.get_by_text("Saved “Paid, to ship”: it is in everyone's tabs now.").wait_for()

    other = new_context(viewport={"width": 1280, "height": 800})
    try:
        them = other.new_page()
        them.goto(f"{live_server.url}/accounts/login/?next=/orders/")
        them.fill("#id_username", "colleague")
        them.fill("#id_password", "pass-word-123")
        them.click("button[type=submit]")
        them.get_by_role("link", name="Paid, to ship").click()
        them.locator(f"#order-{paid.number}").wait_for()
        assert them.locator(f"#order-{pending.number}").count() == 0
    finally:
        other.close()
