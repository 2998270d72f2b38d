"""The store admin's settings pages: payment gateways (secrets write-only, one active, the
notification URL to paste) and the anonymous profile."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from customers.models import CustomerSettings
from orders.actors import Actor
from payments import crypto, setup
from payments.models import Gateway
from tests.factories import ProfileFactory
from tests.payments.factories import GatewayFactory

pytestmark = pytest.mark.django_db
LIST = reverse("payments:gateway_list")
NEW = reverse("payments:gateway_create")
ANONYMOUS = reverse("customers:anonymous_profile")

TEST_SECRET = "tgw-secret-Zq81xK2LmN0pQ7rS"
STRIPE_KEY = "sk_test_51Hx9QkLmNoPqRsTuVwXyZ0987"
STRIPE_WHSEC = "whsec_a1B2c3D4e5F6g7H8i9J0kLmN"


def edit_url(gateway) -> str:
    return reverse("payments:gateway_edit", kwargs={"pk": gateway.pk})


def builtin_gateway(**data):
    return {"kind": "test", "name": "Test gateway", "mode": "test", **data}


def stripe_gateway(**data):
    return {
        "kind": "stripe",
        "name": "Stripe (main)",
        "mode": "test",
        "stripe_secret_key": STRIPE_KEY,
        "stripe_webhook_secret": STRIPE_WHSEC,
        **data,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def assert_no_secret(html: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in html
        assert secret[:-4] not in html  # not even all but its last characters


# ---- Gateways ----------------------------------------------------------------------------


def test_creating_the_test_gateway_stores_its_secret_encrypted_and_never_shows_it(
    store_admin_client,
):
    response = store_admin_client.post(
        NEW, builtin_gateway(is_active="on", test_webhook_secret=TEST_SECRET), follow=True
    )
    gateway = Gateway.objects.get()
    assert response.redirect_chain[0][0] == edit_url(gateway)
    assert (gateway.kind, gateway.name, gateway.mode, gateway.is_active) == (
        "test",
        "Test gateway",
        "test",
        True,
    )
    assert TEST_SECRET not in gateway.credentials_encrypted
    assert crypto.decrypt(gateway.credentials_encrypted) == {"webhook_secret": TEST_SECRET}
    html = response.content.decode()
    assert "“Test gateway” is saved. Paste its notification URL" in html
    assert_no_secret(html, TEST_SECRET)
    assert_no_secret(store_admin_client.get(LIST).content.decode(), TEST_SECRET)


def test_creating_a_stripe_gateway(store_admin_client):
    store_admin_client.post(
        NEW, stripe_gateway(stripe_api_base="http://127.0.0.1:12111"), follow=True
    )
    gateway = Gateway.objects.get()
    assert gateway.credentials == {
        "secret_key": STRIPE_KEY,
        "webhook_secret": STRIPE_WHSEC,
        "api_base": "http://127.0.0.1:12111",
    }
    assert not gateway.is_active


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (builtin_gateway(test_webhook_secret=""), "Enter the webhook secret."),
        (stripe_gateway(stripe_secret_key=""), "Enter the secret key."),
        (stripe_gateway(stripe_secret_key="pk_test_123"), "A Stripe secret key starts with sk_"),
        (stripe_gateway(stripe_webhook_secret="abc"), "Stripe&#x27;s signing secrets start with"),
        (
            stripe_gateway(stripe_secret_key="sk_live_51Hx9QkLmNoPqRsTuVwXyZ0987"),
            "That is a live secret key (sk_live_…) but the mode is Test.",
        ),
        (builtin_gateway(name=" ", test_webhook_secret=TEST_SECRET), "This field is required."),
    ],
)
def test_a_refused_gateway_shows_why_saves_nothing_and_echoes_no_secret(
    store_admin_client, data, error
):
    response = store_admin_client.post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert not Gateway.objects.exists()
    assert_no_secret(
        html, TEST_SECRET, STRIPE_KEY, STRIPE_WHSEC, "sk_live_51Hx9QkLmNoPqRsTuVwXyZ0987"
    )


def test_editing_shows_only_the_last_characters_and_blank_keeps_the_secrets(store_admin_client):
    gateway = GatewayFactory(
        kind="stripe",
        name="Stripe",
        credentials={"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WHSEC},
    )
    page = store_admin_client.get(edit_url(gateway)).content.decode()
    assert_no_secret(page, STRIPE_KEY, STRIPE_WHSEC)
    assert f'Saved: <span class="mono">••••••••{STRIPE_KEY[-4:]}</span>' in page
    assert f"••••••••{STRIPE_WHSEC[-4:]}" in page
    assert "Leave blank to keep it." in page
    assert 'name="stripe_secret_key"' in page and 'value="' + STRIPE_KEY not in page
    assert 'name="test_webhook_secret"' not in page  # only its own kind's credentials

    response = store_admin_client.post(
        edit_url(gateway),
        {"kind": "stripe", "name": "Stripe (renamed)", "mode": "test", "is_active": "on"},
        follow=True,
    )
    gateway.refresh_from_db()
    assert gateway.name == "Stripe (renamed)"
    assert gateway.is_active
    assert gateway.credentials == {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WHSEC}
    assert_no_secret(response.content.decode(), STRIPE_KEY, STRIPE_WHSEC)


def test_editing_replaces_a_secret_that_is_entered(store_admin_client):
    gateway = GatewayFactory(kind="test", credentials={"webhook_secret": "old-secret-0000"})
    store_admin_client.post(
        edit_url(gateway),
        {"name": gateway.name, "mode": "test", "test_webhook_secret": TEST_SECRET},
    )
    gateway.refresh_from_db()
    assert gateway.credentials == {"webhook_secret": TEST_SECRET}


def test_a_gateway_type_never_changes(store_admin_client):
    gateway = GatewayFactory(kind="test")
    store_admin_client.post(
        edit_url(gateway),
        {"kind": "stripe", "name": "Sneaky", "mode": "test", "stripe_secret_key": STRIPE_KEY},
    )
    gateway.refresh_from_db()
    assert gateway.kind == "test"
    assert "secret_key" not in gateway.credentials


def test_credentials_unreadable_after_a_key_change_must_be_entered_again(store_admin_client):
    gateway = Gateway.objects.create(
        kind="test", name="Old", is_active=False, credentials_encrypted="gAAAAA-not-ours"
    )
    page = store_admin_client.get(edit_url(gateway)).content.decode()
    assert "cannot be read with this SECRET_KEY: enter them again." in page
    assert "Saved:" not in page

    response = store_admin_client.post(edit_url(gateway), {"name": "Old", "mode": "test"})
    assert "Enter the webhook secret." in response.content.decode()
    response = store_admin_client.post(
        reverse("payments:gateway_activate", kwargs={"pk": gateway.pk}), follow=True
    )
    assert "cannot be read any more: enter them again" in messages_of(response)[0]
    gateway.refresh_from_db()
    assert not gateway.is_active

    store_admin_client.post(
        edit_url(gateway), {"name": "Old", "mode": "test", "test_webhook_secret": TEST_SECRET}
    )
    gateway.refresh_from_db()
    assert gateway.credentials == {"webhook_secret": TEST_SECRET}


def test_the_edit_page_shows_the_notification_url_to_paste_with_a_copy_button(
    store_admin_client,
):
    gateway = GatewayFactory(kind="test")
    html = store_admin_client.get(edit_url(gateway)).content.decode()
    url = f"http://testserver/payments/notify/{gateway.pk}/"
    assert f'id="notification-url" value="{url}" readonly' in html
    assert 'data-copy="#notification-url"' in html
    assert url in store_admin_client.get(LIST).content.decode()


def test_activating_one_gateway_deactivates_the_other(store_admin_client):
    first = GatewayFactory(name="First", is_active=True)
    second = GatewayFactory(name="Second", is_active=False)
    response = store_admin_client.post(
        reverse("payments:gateway_activate", kwargs={"pk": second.pk}), follow=True
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert "Orders are charged through “Second” from now on." in messages_of(response)

    store_admin_client.post(
        NEW, builtin_gateway(name="Third", is_active="on", test_webhook_secret=TEST_SECRET)
    )
    assert list(Gateway.objects.filter(is_active=True).values_list("name", flat=True)) == ["Third"]


def test_deactivating_leaves_no_gateway_and_the_list_says_so(store_admin_client):
    gateway = GatewayFactory(name="Only", is_active=True)
    response = store_admin_client.post(
        reverse("payments:gateway_deactivate", kwargs={"pk": gateway.pk}), follow=True
    )
    gateway.refresh_from_db()
    assert not gateway.is_active
    assert "No gateway is active: orders cannot be charged." in response.content.decode()


def test_the_list_shows_name_type_mode_and_state(store_admin_client):
    GatewayFactory(kind="test", name="Sandbox", is_active=False)
    GatewayFactory(
        kind="stripe",
        name="Stripe live",
        mode="live",
        is_active=True,
        credentials={"secret_key": "sk_live_x" * 3, "webhook_secret": STRIPE_WHSEC},
    )
    html = store_admin_client.get(LIST).content.decode()
    for text in ["Sandbox", "Built-in test gateway", "Stripe live", "Stripe", "Live", "Active"]:
        assert text in html
    assert html.index("Stripe live") < html.index("Sandbox")  # the active one first


def test_settings_tabs_for_an_admin(store_admin_client):
    html = store_admin_client.get(LIST).content.decode()
    assert f'href="{LIST}" aria-current="page">Payment gateways' in html
    assert f'href="{ANONYMOUS}"' in html
    assert f'href="{reverse("orders:apikey_list")}"' in html


@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_gateway_active():
    gateways = [GatewayFactory(name=f"G{i}", is_active=(i == 0)) for i in range(4)]
    barrier = threading.Barrier(len(gateways))
    errors = []

    def activate(gateway):
        try:
            barrier.wait()
            setup.gateway_activate(gateway_id=gateway.pk, actor=Actor.system("Test"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(g,)) for g in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Gateway.objects.filter(is_active=True).count() == 1


# ---- Anonymous profile -------------------------------------------------------------------


def test_the_page_shows_the_current_anonymous_profile(store_admin_client):
    profile = ProfileFactory(first_name="Anonymous", last_name="Buyers", email="anon@shop.test")
    CustomerSettings.objects.update_or_create(pk=1, defaults={"anonymous_profile": profile})
    html = store_admin_client.get(ANONYMOUS).content.decode()
    assert "Current anonymous profile" in html
    assert "Anonymous Buyers" in html and "anon@shop.test" in html


def test_no_anonymous_profile_yet(store_admin_client):
    html = store_admin_client.get(ANONYMOUS).content.decode()
    assert "None chosen yet." in html


def test_search_by_name_or_email_then_pick_another_profile(store_admin_client):
    walk_in = ProfileFactory(first_name="Walk-in", last_name="Customers", email="walkin@shop.test")
    ProfileFactory(first_name="Grace", last_name="Hopper", email="grace@example.com")
    for query in ["walk", "Walk-in Cust", "WALKIN@shop.test", "custom"]:
        html = store_admin_client.get(ANONYMOUS, {"q": query}).content.decode()
        assert "Walk-in Customers" in html, query
        assert "Grace Hopper" not in html, query
        assert f'name="profile" value="{walk_in.pk}"' in html
    assert "No profile matches" in store_admin_client.get(ANONYMOUS, {"q": "zzz"}).content.decode()

    response = store_admin_client.post(ANONYMOUS, {"profile": walk_in.pk}, follow=True)
    assert CustomerSettings.load().anonymous_profile == walk_in
    assert messages_of(response) == [
        "Invoices of anonymous buyers go to “Walk-in Customers” from now on."
    ]


def test_a_members_own_profile_cannot_be_the_anonymous_one(store_admin_client):
    member = ProfileFactory(first_name="Ada", last_name="Lovelace", member_ref="m-7")
    response = store_admin_client.post(ANONYMOUS, {"profile": member.pk})
    assert response.status_code == 200
    assert "is a storefront member&#x27;s own profile" in response.content.decode()
    assert CustomerSettings.objects.filter(anonymous_profile=member).count() == 0


def test_picking_a_profile_that_is_gone_is_refused(store_admin_client):
    response = store_admin_client.post(ANONYMOUS, {"profile": 987654})
    assert "That profile no longer exists" in response.content.decode()


# ---- Where the Stripe secret goes -----------------------------------------------------------

STRIPE_ONLY = ["https://api.stripe.com"]  # what production allows (tests add the fake server)


def test_an_api_base_outside_stripes_hosts_is_refused_and_the_secret_never_goes_there(
    store_admin_client, fake_stripe, settings
):
    """The finding: an admin pointed the API base at their own http:// host, left the secret
    blank (kept), and the next charge sent `Authorization: Bearer sk_…` there."""
    settings.STRIPE_API_ORIGINS = STRIPE_ONLY
    gateway = GatewayFactory(
        kind="stripe",
        name="Stripe",
        credentials={"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WHSEC},
    )
    for url in (fake_stripe.url, "http://api.stripe.com", "https://api.stripe.com.evil.example"):
        response = store_admin_client.post(
            edit_url(gateway),
            {"kind": "stripe", "name": "Stripe", "mode": "test", "stripe_api_base": url},
        )
        assert "The API base URL must be Stripe’s own (https://api.stripe.com)" in (
            response.content.decode()
        )
        gateway.refresh_from_db()
        assert gateway.credentials == {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WHSEC}
    assert fake_stripe.requests == []


def test_changing_the_api_base_requires_entering_the_secret_key_again(store_admin_client):
    gateway = GatewayFactory(
        kind="stripe",
        name="Stripe",
        credentials={"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WHSEC},
    )
    data = {"kind": "stripe", "name": "Stripe", "mode": "test"}
    response = store_admin_client.post(
        edit_url(gateway), {**data, "stripe_api_base": "http://127.0.0.1:12111"}
    )
    assert "Enter the secret key again to change the API base URL" in response.content.decode()
    gateway.refresh_from_db()
    assert "api_base" not in gateway.credentials

    new_key = "sk_test_51NewKeyForTheTestServer0000"
    store_admin_client.post(
        edit_url(gateway),
        {**data, "stripe_api_base": "http://127.0.0.1:12111", "stripe_secret_key": new_key},
    )
    gateway.refresh_from_db()
    assert gateway.credentials["api_base"] == "http://127.0.0.1:12111"
    assert gateway.credentials["secret_key"] == new_key
    # Unchanged, it may stay blank again.
    store_admin_client.post(
        edit_url(gateway), {**data, "name": "Renamed", "stripe_api_base": "http://127.0.0.1:12111"}
    )
    gateway.refresh_from_db()
    assert gateway.name == "Renamed" and gateway.credentials["secret_key"] == new_key
