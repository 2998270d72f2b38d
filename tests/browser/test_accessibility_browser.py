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
    ]
    found = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[path] = problems
    assert not found, found


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


def test_the_desk_is_usable_on_a_tablet(browser, live_server, paid_order):
    """At 768 px the pages do not scroll sideways (wide tables scroll in their own box)."""
    UserFactory(role="staff", username="clerk")
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        tablet = context.new_page()
        tablet.goto(f"{live_server.url}{reverse('login')}")
        tablet.fill("#id_username", "clerk")
        tablet.fill("#id_password", "pass-word-123")
        tablet.click("button[type=submit]")
        tablet.wait_for_url(f"{live_server.url}{reverse('orders:list')}")
        for path in [
            reverse("orders:list"),
            reverse("orders:grid"),
            reverse("orders:detail", args=[paid_order.number]),
        ]:
            tablet.goto(f"{live_server.url}{path}")
            width = tablet.evaluate("document.documentElement.scrollWidth")
            assert width <= 768, f"{path} scrolls sideways on a tablet ({width}px wide)"
    finally:
        context.close()
