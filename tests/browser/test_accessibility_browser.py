"""Accessibility of every back-office page and the customer's tracking page, checked by axe-core
(WCAG 2.1 A and AA rules: labels, contrast, roles, names, landmarks) in Chromium."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from invoicing.models import Invoice
from orders.actors import Actor
from orders.models import OrderStatus
from payments.services import PaymentInfo, order_mark_paid
from shipping.tracking import tracking_token_for
from tests.factories import UserFactory, order_with_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
    ]


@pytest.fixture
def paid_order(db):
    order = order_with_lines(lines=2, status=OrderStatus.PENDING, customer_name="Ada Lovelace")
    order_mark_paid(
        order_id=order.pk,
        payment=PaymentInfo(method="check", amount=order.total, reference="CHK-9"),
        actor=Actor.system(),
    )
    return order


def test_back_office_pages_pass_axe(page, login, live_server, paid_order):
    UserFactory(role="admin", username="boss")
    invoice = Invoice.objects.get(order=paid_order)
    login("boss", "pass-word-123")
    paths = [
        reverse("orders:list"),
        reverse("orders:list") + "?status=nothing-like-this",
        reverse("orders:detail", args=[paid_order.number]),
        reverse("invoicing:list"),
        reverse("invoicing:detail", args=[invoice.number]),
        reverse("orders:apikey_list"),
        reverse("payments:gateway_list"),
        reverse("reports:export_list"),
        reverse("orders:grid"),
        reverse("orders:grid") + "?status=nothing-like-this&start=2026-13-01",
        reverse("notifications:email_list"),
        reverse("notifications:email_preview", args=["shipped"]),
        reverse("password_change"),
    ]
    found = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[path] = problems
    assert not found, found


def test_the_first_tab_offers_to_skip_to_the_content(page, login, live_server):
    UserFactory(role="staff", username="clerk")
    login("clerk", "pass-word-123")
    skip = page.get_by_role("link", name="Skip to content")
    box = skip.bounding_box()
    assert box["y"] + box["height"] <= 0  # out of sight until it has focus

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert within_width(skip, 1440) and skip.bounding_box()["y"] >= 0  # shown while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is the order lookup, not the top bar
    assert page.evaluate("document.activeElement.name") == "q"


def test_login_and_customer_tracking_pages_pass_axe(page, live_server, paid_order):
    found = {}
    for path in [
        reverse("login"),
        reverse("shipping:track_lookup"),
        reverse("shipping:track", args=[tracking_token_for(paid_order)]),
    ]:
        page.goto(f"{live_server.url}{path}")
        problems = violations(page)
        if problems:
            found[path] = problems
    assert not found, found


def test_the_tracking_page_works_on_a_phone(new_context, live_server, paid_order):
    context = new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(
            f"{live_server.url}{reverse('shipping:track', args=[tracking_token_for(paid_order)])}"
        )
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways on a phone ({width}px wide)"
        assert not violations(phone)
    finally:
        context.close()


def within_width(locator, width: int) -> bool:
    box = locator.bounding_box()
    return (
        box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width
    )


def test_the_desk_is_usable_on_a_tablet(new_context, live_server, paid_order):
    """At 768 px the pages do not scroll sideways (wide tables scroll in their own box); the
    orders list keeps its key columns in view, and the order page puts its actions (payment,
    status) before the items and the timeline."""
    UserFactory(role="staff", username="clerk")
    pending = order_with_lines(lines=2, status=OrderStatus.PENDING, payment_token="tok_approve")
    tablet = new_context(viewport={"width": 768, "height": 1024}).new_page()
    tablet.goto(f"{live_server.url}{reverse('login')}")
    tablet.fill("#id_username", "clerk")
    tablet.fill("#id_password", "pass-word-123")
    tablet.click("button[type=submit]")
    tablet.wait_for_url(f"{live_server.url}{reverse('orders:list')}")
    for path in [
        reverse("orders:list"),
        reverse("orders:grid"),
        reverse("orders:detail", args=[paid_order.number]),
        reverse("orders:detail", args=[pending.number]),
    ]:
        tablet.goto(f"{live_server.url}{path}")
        width = tablet.evaluate("document.documentElement.scrollWidth")
        assert width <= 768, f"{path} scrolls sideways on a tablet ({width}px wide)"

    tablet.goto(f"{live_server.url}{reverse('orders:list')}")
    row = tablet.locator(f"#order-{pending.number}")
    cells = {
        "number": row.get_by_role("link", name=f"#{pending.number}"),
        "customer": row.locator(".customer-name"),
        "total": row.get_by_text("$40.00"),
        "status": row.locator(".badge"),
        "change status": row.get_by_role(
            "combobox", name=f"New status for order #{pending.number}"
        ),
        "apply": row.get_by_role("button", name="Apply"),
    }
    hidden = [name for name, cell in cells.items() if not within_width(cell, 768)]
    assert not hidden, f"the orders list hides {hidden} beyond a tablet's width"
    tablet.screenshot(caret="initial", path="/tmp/orders_tablet.png")

    tablet.goto(f"{live_server.url}{reverse('orders:detail', args=[pending.number])}")
    charge = tablet.get_by_role("button", name="Charge $40.00")
    status = tablet.get_by_role("heading", name="Status")
    items = tablet.get_by_role("heading", name="Items")
    timeline = tablet.get_by_role("heading", name="Timeline")
    assert within_width(charge, 768) and within_width(status, 768)
    tops = {
        name: el.bounding_box()["y"]
        for name, el in [
            ("charge", charge),
            ("status", status),
            ("items", items),
            ("timeline", timeline),
        ]
    }
    assert max(tops["charge"], tops["status"]) < min(tops["items"], tops["timeline"]), tops
    assert tops["charge"] < 1024, "the Charge button is below the first screen"
    tablet.screenshot(caret="initial", path="/tmp/order_tablet.png")
