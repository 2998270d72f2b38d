"""Who may open what: every back-office URL × {anonymous, order staff, store admin}."""

import pytest
from django.urls import reverse

from customers.models import CustomerSettings
from payments.models import Gateway, Payment
from purchasing.models import PurchaseOrder
from tests.factories import ProfileFactory, UserFactory, VendorFactory, api_key, order_with_lines
from tests.payments.factories import GatewayFactory

ORDER_NUMBER = 777001
LOGIN = "login"  # the LoginRequiredMiddleware sends anonymous users to settings.LOGIN_URL
ADMIN_LOGIN = "admin-login"
OK = 200
REDIRECT = 302  # a POST that worked: Post/Redirect/Get
FORBIDDEN = 403

# (name, method, url (a callable of the objects made for the test), data (or a callable))
ROUTES = {
    "order list": ("get", lambda o: reverse("orders:list"), None),
    "order detail": ("get", lambda o: o["order"].get_absolute_url(), None),
    "status change": (
        "post",
        lambda o: reverse("orders:status_change", kwargs={"number": o["order"].number}),
        {"to": "cancelled"},
    ),
    "note": (
        "post",
        lambda o: reverse("orders:note_add", kwargs={"number": o["order"].number}),
        {"text": "hello"},
    ),
    "api key list": ("get", lambda o: reverse("orders:apikey_list"), None),
    "api key form": ("get", lambda o: reverse("orders:apikey_create"), None),
    "api key create": (
        "post",
        lambda o: reverse("orders:apikey_create"),
        {"name": "Storefront", "channel": "online"},
    ),
    "api key revoke": (
        "post",
        lambda o: reverse("orders:apikey_revoke", kwargs={"pk": o["key"].pk}),
        None,
    ),
    "order delete": (
        "post",
        lambda o: reverse("orders:delete", kwargs={"number": o["order"].number}),
        None,
    ),
    "charge": (
        "post",
        lambda o: reverse("payments:charge", kwargs={"number": o["order"].number}),
        None,
    ),
    "offline payment": (
        "post",
        lambda o: reverse("payments:manual_payment", kwargs={"number": o["order"].number}),
        {"method": "check", "amount": "20.00", "reference": "1001"},
    ),
    "payment update request": (
        "post",
        lambda o: reverse("payments:payment_update_request", kwargs={"number": o["order"].number}),
        None,
    ),
    "gateway list": ("get", lambda o: reverse("payments:gateway_list"), None),
    "gateway form": ("get", lambda o: reverse("payments:gateway_create"), None),
    "gateway create": (
        "post",
        lambda o: reverse("payments:gateway_create"),
        {"kind": "test", "name": "Sandbox", "mode": "test", "test_webhook_secret": "s3cret-123"},
    ),
    "gateway edit form": (
        "get",
        lambda o: reverse("payments:gateway_edit", kwargs={"pk": o["gateway"].pk}),
        None,
    ),
    "gateway edit": (
        "post",
        lambda o: reverse("payments:gateway_edit", kwargs={"pk": o["gateway"].pk}),
        {"name": "Renamed", "mode": "test"},
    ),
    "gateway activate": (
        "post",
        lambda o: reverse("payments:gateway_activate", kwargs={"pk": o["gateway"].pk}),
        None,
    ),
    "gateway deactivate": (
        "post",
        lambda o: reverse("payments:gateway_deactivate", kwargs={"pk": o["gateway"].pk}),
        None,
    ),
    "anonymous profile": ("get", lambda o: reverse("customers:anonymous_profile"), None),
    "anonymous profile set": (
        "post",
        lambda o: reverse("customers:anonymous_profile"),
        lambda o: {"profile": o["profile"].pk},
    ),
    "tracking link revoke": (
        "post",
        lambda o: reverse("shipping:tracking_link_revoke", kwargs={"number": o["order"].number}),
        None,
    ),
    "email list": ("get", lambda o: reverse("notifications:email_list"), None),
    "email preview": (
        "get",
        lambda o: reverse("notifications:email_preview", kwargs={"kind": "shipped"}),
        None,
    ),
    "number lookup": ("get", lambda o: reverse("orders:number_suggestions"), None),
    "transactions grid": ("get", lambda o: reverse("orders:grid"), None),
    "grid item choices": ("get", lambda o: reverse("orders:grid_items"), None),
    "grid count": ("get", lambda o: reverse("orders:grid_count"), None),
    "grid action": (
        "post",
        lambda o: reverse("orders:grid_action"),
        lambda o: {"action": "flag_sent", "line": o["order"].lines.get().pk},
    ),
    "saved view save": (
        "post",
        lambda o: reverse("orders:saved_view_save"),
        {"page": "orders", "name": "Paid", "query": "status=paid"},
    ),
    "export list": ("get", lambda o: reverse("reports:export_list"), None),
    "export start": (
        "post",
        lambda o: reverse("reports:export_start"),
        {"source": "orders", "format": "csv", "query": "status=paid"},
    ),
    "po create": (
        "post",
        lambda o: reverse("purchasing:po_create", kwargs={"number": o["order"].number}),
        {"action": "send"},
    ),
    "po send": (
        "post",
        lambda o: reverse(
            "purchasing:po_send", kwargs={"number": o["order"].number, "pk": o["po"].pk}
        ),
        None,
    ),
    "po cancel": (
        "post",
        lambda o: reverse(
            "purchasing:po_cancel", kwargs={"number": o["order"].number, "pk": o["po"].pk}
        ),
        None,
    ),
    "po ship": (
        "post",
        lambda o: reverse(
            "purchasing:po_ship", kwargs={"number": o["order"].number, "pk": o["po"].pk}
        ),
        {"tracking_numbers": "1Z999AA10123456784"},
    ),
    "purchase orders": ("get", lambda o: reverse("purchasing:list"), None),
    "vendor list": ("get", lambda o: reverse("purchasing:vendor_list"), None),
    "vendor form": ("get", lambda o: reverse("purchasing:vendor_create"), None),
    "vendor create": (
        "post",
        lambda o: reverse("purchasing:vendor_create"),
        {"name": "Acme", "po_method": "email", "po_emails": "po@acme.example", "sftp_port": "22"},
    ),
    "vendor edit form": (
        "get",
        lambda o: reverse("purchasing:vendor_edit", kwargs={"pk": o["po"].vendor_id}),
        None,
    ),
    "vendor edit": (
        "post",
        lambda o: reverse("purchasing:vendor_edit", kwargs={"pk": o["po"].vendor_id}),
        {"name": "Renamed", "po_method": "", "sftp_port": "22"},
    ),
    "vendor test connection": (
        "post",
        lambda o: reverse("purchasing:vendor_test_connection", kwargs={"pk": o["po"].vendor_id}),
        None,
    ),
    "vendor accept key": (
        "post",
        lambda o: reverse("purchasing:vendor_accept_key", kwargs={"pk": o["po"].vendor_id}),
        None,
    ),
    "django admin": ("get", lambda o: reverse("admin:index"), None),
}

EXPECTED = {
    #                  anonymous, staff,       admin
    "order list": (LOGIN, OK, OK),
    "order detail": (LOGIN, OK, OK),
    "status change": (LOGIN, REDIRECT, REDIRECT),
    "note": (LOGIN, REDIRECT, REDIRECT),
    "api key list": (LOGIN, FORBIDDEN, OK),
    "api key form": (LOGIN, FORBIDDEN, OK),
    "api key create": (LOGIN, FORBIDDEN, OK),  # rendered (not redirected): the key shows once
    "api key revoke": (LOGIN, FORBIDDEN, REDIRECT),
    # Staff work the order's money (seeds 001, 002) and delete never-paid orders.
    "order delete": (LOGIN, REDIRECT, REDIRECT),
    "charge": (LOGIN, REDIRECT, REDIRECT),
    "offline payment": (LOGIN, REDIRECT, REDIRECT),
    "payment update request": (LOGIN, REDIRECT, REDIRECT),
    # Configuring the store is for store admins.
    "gateway list": (LOGIN, FORBIDDEN, OK),
    "gateway form": (LOGIN, FORBIDDEN, OK),
    "gateway create": (LOGIN, FORBIDDEN, REDIRECT),
    "gateway edit form": (LOGIN, FORBIDDEN, OK),
    "gateway edit": (LOGIN, FORBIDDEN, REDIRECT),
    "gateway activate": (LOGIN, FORBIDDEN, REDIRECT),
    "gateway deactivate": (LOGIN, FORBIDDEN, REDIRECT),
    "anonymous profile": (LOGIN, FORBIDDEN, OK),
    "anonymous profile set": (LOGIN, FORBIDDEN, REDIRECT),
    # Staff who ship orders revoke a tracking link that reached the wrong person.
    "tracking link revoke": (LOGIN, REDIRECT, REDIRECT),
    "email list": (LOGIN, FORBIDDEN, OK),
    "email preview": (LOGIN, FORBIDDEN, OK),
    "number lookup": (LOGIN, OK, OK),
    "transactions grid": (LOGIN, OK, OK),
    "grid item choices": (LOGIN, OK, OK),
    "grid count": (LOGIN, OK, OK),
    "grid action": (LOGIN, REDIRECT, REDIRECT),  # flag the item as sent, then back to the grid
    # Staff save their filters as tabs and export what their lists show.
    "saved view save": (LOGIN, REDIRECT, REDIRECT),
    "export list": (LOGIN, OK, OK),
    "export start": (LOGIN, OK, OK),  # a small export streams in the response
    # Staff drop-ship (seed 002): the order is unpaid here, so creating, sending and entering
    # a vendor's tracking are refused on the page (200, the reason shown); a draft cancels.
    "po create": (LOGIN, OK, OK),
    "po send": (LOGIN, OK, OK),
    "po cancel": (LOGIN, REDIRECT, REDIRECT),
    "po ship": (LOGIN, OK, OK),
    "purchase orders": (LOGIN, OK, OK),
    # Vendors and their connection settings are store admins'.
    "vendor list": (LOGIN, FORBIDDEN, OK),
    "vendor form": (LOGIN, FORBIDDEN, OK),
    "vendor create": (LOGIN, FORBIDDEN, REDIRECT),
    "vendor edit form": (LOGIN, FORBIDDEN, OK),
    "vendor edit": (LOGIN, FORBIDDEN, REDIRECT),
    "vendor test connection": (LOGIN, FORBIDDEN, REDIRECT),
    "vendor accept key": (LOGIN, FORBIDDEN, REDIRECT),
    "django admin": (ADMIN_LOGIN, ADMIN_LOGIN, OK),
}
ROLES = ("anonymous", "staff", "admin")
MATRIX = [
    pytest.param(route, role, EXPECTED[route][i], id=f"{route}-{role}")
    for route in ROUTES
    for i, role in enumerate(ROLES)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "role", "expected"), MATRIX)
def test_permission_matrix(client, route, role, expected):
    objects = {
        "order": order_with_lines(lines=1, number=ORDER_NUMBER, payment_token="tok_approve"),
        "key": api_key()[0],
        "gateway": GatewayFactory(kind="test", is_active=False),
        "profile": ProfileFactory(),
    }
    objects["po"] = PurchaseOrder.objects.create(order=objects["order"], vendor=VendorFactory())
    if role != "anonymous":
        client.force_login(UserFactory(role=role))
    method, url, data = ROUTES[route]
    url = url(objects)
    data = data(objects) if callable(data) else data
    response = getattr(client, method)(url, data or {})

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected


@pytest.mark.django_db
def test_forbidden_writes_change_nothing(client):
    order = order_with_lines(lines=1)
    key, _ = api_key()
    client.force_login(UserFactory(role="staff"))
    client.post(reverse("orders:apikey_revoke", kwargs={"pk": key.pk}))
    client.post(reverse("orders:apikey_create"), {"name": "Sneaky", "channel": "online"})
    key.refresh_from_db()
    assert key.revoked_at is None
    assert key._meta.model.objects.count() == 1

    gateway = GatewayFactory(kind="test", name="Sandbox", is_active=False)
    profile = ProfileFactory()
    client.post(reverse("payments:gateway_activate", kwargs={"pk": gateway.pk}))
    client.post(reverse("payments:gateway_edit", kwargs={"pk": gateway.pk}), {"name": "X"})
    client.post(
        reverse("payments:gateway_create"),
        {"kind": "test", "name": "Sneaky", "mode": "test", "test_webhook_secret": "x" * 12},
    )
    client.post(reverse("customers:anonymous_profile"), {"profile": profile.pk})
    gateway.refresh_from_db()
    assert (gateway.name, gateway.is_active) == ("Sandbox", False)
    assert Gateway.objects.count() == 1
    assert not CustomerSettings.objects.filter(anonymous_profile=profile).exists()

    nobody = UserFactory()  # logged in, but with no role at all
    nobody.save()
    client.force_login(nobody)
    assert client.get(reverse("orders:list")).status_code == 403
    assert (
        client.post(
            reverse("orders:status_change", kwargs={"number": order.number}), {"to": "paid"}
        ).status_code
        == 403
    )
    number = order.number
    for name, data in [
        ("payments:charge", None),
        ("payments:manual_payment", {"method": "check", "amount": "20.00", "reference": "1"}),
        ("payments:payment_update_request", None),
        ("orders:delete", None),
    ]:
        assert client.post(reverse(name, kwargs={"number": number}), data or {}).status_code == 403
    order.refresh_from_db()
    assert order.status == "pending"
    assert not Payment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("orders:status_change", kwargs={"number": 1}),
        reverse("orders:note_add", kwargs={"number": 1}),
        reverse("orders:apikey_revoke", kwargs={"pk": 1}),
        reverse("orders:delete", kwargs={"number": 1}),
        reverse("payments:charge", kwargs={"number": 1}),
        reverse("payments:manual_payment", kwargs={"number": 1}),
        reverse("payments:payment_update_request", kwargs={"number": 1}),
        reverse("payments:gateway_activate", kwargs={"pk": 1}),
        reverse("payments:gateway_deactivate", kwargs={"pk": 1}),
        reverse("shipping:tracking_link_revoke", kwargs={"number": 1}),
        reverse("orders:saved_view_save"),
        reverse("orders:saved_view_delete", kwargs={"pk": 1}),
        reverse("reports:export_start"),
    ],
)
def test_writes_do_not_answer_get(store_admin_client, url):
    assert store_admin_client.get(url).status_code == 405


@pytest.mark.django_db
def test_logout_is_a_post(staff_client):
    response = staff_client.post(reverse("logout"))
    assert response.status_code == 302
    assert staff_client.get(reverse("orders:list")).status_code == 302


@pytest.mark.django_db
def test_login_page_renders_and_logs_in(client):
    user = UserFactory(role="staff", username="clerk")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "clerk", "password": "pass-word-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:list")
    assert int(client.session["_auth_user_id"]) == user.pk
