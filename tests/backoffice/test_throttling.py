"""Throttles, over HTTP against a live server (core/throttling.py, backoffice/accounts.py):
sign-in lockout (django-axes) by account and by client, password-reset requests per email and
per client, and the client address read behind a trusted proxy."""

import re
import uuid

import pytest
import requests
from django.conf import settings as django_settings
from django.core import mail

from shipping import tracking
from tests.factories import UserFactory, order_with_lines

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "pass-word-123"  # tests.factories.UserFactory's
LOCKED = "Too many failed sign-ins"


def csrf_post(session: requests.Session, url: str, data: dict, **kwargs) -> requests.Response:
    """GET the form for its CSRF token (and cookie), then POST it, as a browser does."""
    page = session.get(url, **kwargs)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        url, data={"csrfmiddlewaretoken": token, **data}, allow_redirects=False, **kwargs
    )


def sign_in(live_server, username: str, password: str, **kwargs) -> requests.Response:
    return csrf_post(
        requests.Session(),
        f"{live_server.url}/accounts/login/",
        {"username": username, "password": password},
        **kwargs,
    )


def test_wrong_passwords_lock_the_account_even_for_the_right_one(live_server):
    user = UserFactory(role="staff")
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert sign_in(live_server, user.username, "wrong-guess").status_code == 200
    locked = sign_in(live_server, user.username, "wrong-guess")
    assert locked.status_code == 429
    assert LOCKED in locked.text and "try again in" in locked.text
    right = sign_in(live_server, user.username, PASSWORD)
    assert right.status_code == 429 and LOCKED in right.text
    assert "sessionid" not in right.cookies


def test_the_lock_holds_for_the_account_from_another_client(live_server, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory(role="staff")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(live_server, user.username, "wrong", headers={"X-Forwarded-For": f"10.1.0.{n}"})
    other = sign_in(live_server, user.username, PASSWORD, headers={"X-Forwarded-For": "10.2.0.1"})
    assert other.status_code == 429


def test_one_client_trying_many_accounts_is_locked_out(live_server, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spray = {"X-Forwarded-For": "10.3.0.9"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(live_server, f"nobody{n}", "wrong", headers=spray)
    user = UserFactory(role="staff")
    assert sign_in(live_server, user.username, PASSWORD, headers=spray).status_code == 429
    # Another client signs in as usual.
    other = sign_in(live_server, user.username, PASSWORD, headers={"X-Forwarded-For": "10.3.0.10"})
    assert other.status_code == 302


def test_a_successful_sign_in_clears_the_accounts_failures(live_server):
    user = UserFactory(role="staff")
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        sign_in(live_server, user.username, "wrong")
    assert sign_in(live_server, user.username, PASSWORD).status_code == 302
    for _ in range(limit - 1):
        sign_in(live_server, user.username, "wrong")
    assert sign_in(live_server, user.username, PASSWORD).status_code == 302


def reset(live_server, email: str, **kwargs) -> requests.Response:
    return csrf_post(
        requests.Session(),
        f"{live_server.url}/accounts/password_reset/",
        {"email": email},
        **kwargs,
    )


def test_password_reset_emails_are_throttled_per_email(live_server, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory(role="staff", email=f"{uuid.uuid4().hex[:8]}@example.com")
    answers = [
        reset(live_server, user.email, headers={"X-Forwarded-For": f"10.4.0.{n}"}).status_code
        for n in range(30)
    ]
    limit = django_settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    assert answers == [302] * limit + [429] * (30 - limit)
    assert len(mail.outbox) == limit


def test_password_reset_requests_are_throttled_per_client(live_server, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = {"X-Forwarded-For": f"10.5.{uuid.uuid4().int % 250}.7"}
    limit = django_settings.PASSWORD_RESET_LIMIT_PER_CLIENT
    for n in range(limit):
        assert reset(live_server, f"someone{n}@example.com", headers=client).status_code == 302
    refused = reset(live_server, "someone-else@example.com", headers=client)
    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.text


# ---- The client address behind a proxy (the tracking lookup's limit) -----------------------


def lookup(live_server, order, *, forwarded: str, email: str = "wrong@example.com"):
    return csrf_post(
        requests.Session(),
        f"{live_server.url}/track/",
        {"number": order.number, "email": email},
        headers={"X-Forwarded-For": forwarded},
    )


def test_behind_a_proxy_one_client_using_up_its_lookups_does_not_lock_out_others(
    live_server, settings
):
    """The finding: every request came from the load balancer's address, so ten lookups by
    anyone locked everyone out."""
    settings.TRUSTED_PROXY_COUNT = 1
    order, other_order = order_with_lines(), order_with_lines()
    base = f"10.6.{uuid.uuid4().int % 250}"
    for _ in range(tracking.LOOKUP_LIMIT):
        assert lookup(live_server, order, forwarded=f"{base}.1").status_code == 200
    assert lookup(live_server, order, forwarded=f"{base}.1").status_code == 429
    # A client cannot pass for another by sending its own X-Forwarded-For: the proxy appends.
    spoofed = lookup(live_server, other_order, forwarded=f"{base}.99, {base}.1")
    assert spoofed.status_code == 429
    answer = lookup(
        live_server, other_order, forwarded=f"{base}.2", email=other_order.customer_email
    )
    assert answer.status_code == 302


def test_lookups_of_one_order_are_limited_whoever_asks(live_server, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    order = order_with_lines()
    base = f"10.7.{uuid.uuid4().int % 250}"
    for n in range(tracking.LOOKUP_LIMIT_PER_ORDER):
        assert lookup(live_server, order, forwarded=f"{base}.{n}").status_code == 200
    assert lookup(live_server, order, forwarded=f"{base}.200").status_code == 429


@pytest.mark.parametrize(
    ("count", "forwarded", "client"),
    [
        (0, "203.0.113.9", "127.0.0.9"),  # no proxy configured: the header is the client's own
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left entry is the client's claim
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "", "127.0.0.9"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(rf, settings, count, forwarded, client):
    from core.throttling import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.9")
    assert client_ip(request) == client
