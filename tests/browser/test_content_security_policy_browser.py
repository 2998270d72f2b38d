"""The Content-Security-Policy in Chromium: our pages run under it without a single violation,
and the email preview's sandboxed frame still shows the email as styled."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_policy_and_the_email_preview_keeps_its_styles(
    page, login, live_server
):
    UserFactory(role="admin", username="owner")
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login("owner", "pass-word-123")
    for path in (
        reverse("orders:list"),
        reverse("orders:grid"),
        reverse("payments:gateway_list"),
        reverse("notifications:email_list"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}{reverse('notifications:email_preview', args=['shipped'])}")
    frame = page.frame_locator("iframe.email-frame")
    paragraph = frame.get_by_text("is on its way")
    paragraph.wait_for()
    # The email's own style="margin:0 0 12px;" applies inside the frame.
    assert paragraph.evaluate("p => getComputedStyle(p).marginBottom") == "12px"
    assert refused == []
