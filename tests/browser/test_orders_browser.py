"""Workflow 2 and 4 in a real browser: find orders, change a status from the list (htmx row
swap, no reload), open the order, add a note and see it in the timeline, cancel it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Channel, OrderStatus
from tests.factories import UserFactory, order_with_lines

SCREENSHOTS = "/tmp"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_changes_a_status_from_the_list_and_adds_a_note(page, login, live_server):
    UserFactory(role="staff", username="clerk", first_name="Chris")
    now = timezone.now()
    orders = [
        order_with_lines(
            lines=1 + i % 3,
            channel=[Channel.ONLINE, Channel.IN_STORE, Channel.BACK_OFFICE][i % 3],
            status=[OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.SHIPPED][i % 3],
            placed_at=now - timedelta(minutes=17 * i),
        )
        for i in range(12)
    ]
    target = orders[0]  # newest, paid
    assert target.status == OrderStatus.PAID

    login("clerk", "pass-word-123")
    assert page.locator("tbody tr").count() == 12
    assert page.locator("tbody tr").first.get_attribute("id") == f"order-{target.number}"

    # Marks the document: a full page load would lose it.
    page.evaluate("window.__sameDocument = true")
    row = page.locator(f"#order-{target.number}")
    row.locator("select[name=to]").select_option("in_process")
    row.locator("button", has_text="Apply").click()
    page.locator(f"#order-{target.number} .badge.status-in_process").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    assert f"Order #{target.number} is now In process." in page.locator("#messages").inner_text()
    # The swapped row offers the moves of its new status.
    options = page.locator(f"#order-{target.number} select[name=to] option").all_inner_texts()
    assert "Cancel" in options
    assert "Mark shipped…" in options  # opens the courier and tracking form (seed 004)
    target.refresh_from_db()
    assert target.status == OrderStatus.IN_PROCESS
    page.wait_for_timeout(300)
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/orders_list.png", full_page=True)

    page.click(f"#order-{target.number} a.order-number")
    page.wait_for_url(f"{live_server.url}/orders/{target.number}/")
    assert "In process" in page.locator("h1 .badge").inner_text()
    timeline = page.locator("#order-timeline")
    assert "Paid" in timeline.inner_text() and "Chris" in timeline.inner_text()

    page.fill("#order-timeline textarea[name=text]", "Customer asked for gift wrap.")
    page.click("#order-timeline button:has-text('Add note')")
    page.locator(".event-note .event-message", has_text="Customer asked for gift wrap.").wait_for()
    assert "Note added to the timeline." in page.locator("#messages").inner_text()
    assert page.locator("#order-timeline textarea[name=text]").input_value() == ""

    # The detail page's status buttons swap the order in place too (after confirming).
    page.evaluate("window.__sameDocument = true")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.click("#order-detail .status-form button:has-text('Cancel')")
    page.locator("h1 .badge.status-cancelled").wait_for()
    assert dialogs and "Cancel order" in dialogs[0]
    assert page.evaluate("window.__sameDocument") is True
    assert "Customer asked for gift wrap." in page.locator("#order-timeline").inner_text()
    page.screenshot(caret="initial", path=f"{SCREENSHOTS}/order_detail.png", full_page=True)
