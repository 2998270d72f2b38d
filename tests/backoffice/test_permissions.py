"""Who may open what: every back-office URL × {anonymous, order staff, store admin}."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, api_key, order_with_lines

ORDER_NUMBER = 777001
LOGIN = "login"  # the LoginRequiredMiddleware sends anonymous users to settings.LOGIN_URL
ADMIN_LOGIN = "admin-login"
OK = 200
REDIRECT = 302  # a POST that worked: Post/Redirect/Get
FORBIDDEN = 403

# (name, method, url (a callable of the objects made for the test), data)
ROUTES = {
    "order list": ("get", lambda o: reverse("orders:list"), None),
    "order detail": ("get", lambda o: o["order"].get_absolute_url(), None),
    "status change": (
        "post",
        lambda o: reverse("orders:status_change", kwargs={"number": o["order"].number}),
        {"to": "paid"},
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
    objects = {"order": order_with_lines(lines=1, number=ORDER_NUMBER), "key": api_key()[0]}
    if role != "anonymous":
        client.force_login(UserFactory(role=role))
    method, url, data = ROUTES[route]
    url = url(objects)
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
    order.refresh_from_db()
    assert order.status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("orders:status_change", kwargs={"number": 1}),
        reverse("orders:note_add", kwargs={"number": 1}),
        reverse("orders:apikey_revoke", kwargs={"pk": 1}),
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
