"""Security headers over HTTP against a live server (backoffice/middleware.py, settings'
CONTENT_SECURITY_POLICY): a Content-Security-Policy on every page, pages that need no inline
script, and `Cache-Control: private, no-store` on whatever a signed-in user is shown."""

import re

import pytest
import requests
from django.test import Client
from django.urls import reverse

from invoicing.models import Invoice
from orders.actors import Actor
from orders.models import OrderStatus
from payments.services import PaymentInfo, order_mark_paid
from shipping.tracking import tracking_token_for
from tests.factories import UserFactory, order_with_lines

pytestmark = pytest.mark.django_db(transaction=True)


def csp_of(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


@pytest.fixture
def paid_order(db):
    order = order_with_lines(lines=1, status=OrderStatus.PENDING)
    order_mark_paid(
        order_id=order.pk,
        payment=PaymentInfo(method="check", amount=order.total, reference="CHK-1"),
        actor=Actor.system(),
    )
    return order


@pytest.fixture
def admin_session(live_server) -> requests.Session:
    """A browser-like session signed in as a store admin."""
    client = Client()
    client.force_login(UserFactory(role="admin"))
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def signed_in_paths(order) -> list[str]:
    invoice = Invoice.objects.get(order=order)
    return [
        reverse("orders:list"),
        reverse("orders:detail", args=[order.number]),
        reverse("orders:grid"),
        reverse("invoicing:detail", args=[invoice.number]),
        reverse("payments:gateway_list"),
        reverse("notifications:email_list"),
        reverse("admin:index"),
    ]


def test_every_page_has_a_content_security_policy_without_inline_script(
    live_server, admin_session, paid_order
):
    public = [
        reverse("login"),
        reverse("shipping:track_lookup"),
        reverse("shipping:track", args=[tracking_token_for(paid_order)]),
        reverse("api:openapi-view"),
    ]
    for path in public:
        response = requests.get(f"{live_server.url}{path}")
        assert response.status_code == 200, path
        policy = csp_of(response)
        assert policy["default-src"] == "'self'", path
        assert policy["script-src"] == "'self'", path
        assert policy["style-src"] == "'self'", path
        assert policy["frame-ancestors"] == "'none'", path
    for path in signed_in_paths(paid_order):
        response = admin_session.get(f"{live_server.url}{path}", allow_redirects=False)
        assert response.status_code == 200, path
        assert csp_of(response)["script-src"] == "'self'", path
        if path.startswith("/admin/"):
            continue  # Django's own templates
        html = response.text
        assert not re.search(
            r"<script(?![^>]*\bsrc=)[^>]*>",
            html.replace('<script type="application/json"', "<script src=json"),
        ), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r"\sstyle=", html), path


def test_signed_in_pages_are_never_stored_static_files_and_public_pages_may_be(
    live_server, admin_session, paid_order
):
    for path in signed_in_paths(paid_order):
        response = admin_session.get(f"{live_server.url}{path}", allow_redirects=False)
        assert response.headers.get("Cache-Control") == "private, no-store", path
    static = admin_session.get(f"{live_server.url}/static/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
    lookup = requests.get(f"{live_server.url}{reverse('shipping:track_lookup')}")
    assert "no-store" not in lookup.headers.get("Cache-Control", "")
    # The customer's own tracking page (personal data behind a secret link) is not stored either.
    track = requests.get(
        f"{live_server.url}{reverse('shipping:track', args=[tracking_token_for(paid_order)])}"
    )
    assert track.headers.get("Cache-Control") == "private, no-store"


def test_the_email_preview_lets_only_the_emails_inline_styles_through(live_server, admin_session):
    response = admin_session.get(
        f"{live_server.url}{reverse('notifications:email_preview', args=['shipped'])}"
    )
    assert response.status_code == 200
    policy = csp_of(response)
    # The srcdoc frame inherits the page's policy: the email's style="" attributes may apply,
    # nothing else is loosened.
    assert policy["style-src-attr"] == "'unsafe-inline'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
