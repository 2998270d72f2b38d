"""The frame's own pages: /favicon.ico, and the password change for staff and admins."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

OLD = "pass-word-123"
NEW = "a-longer-pass-phrase-42"


def sign_in(client, username: str, password: str) -> None:
    """Through the login form, as a person does (django-axes needs the request to count)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content


def test_favicon_answers_at_its_conventional_address_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_every_page_links_its_icon(client):
    UserFactory(role="staff", username="clerk")
    sign_in(client, "clerk", OLD)
    html = client.get(reverse("orders:list")).content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_change_their_password_and_log_in_with_the_new_one(client, role):
    UserFactory(role=role, username="clerk")
    sign_in(client, "clerk", OLD)
    menu = client.get(reverse("orders:list")).content.decode()
    assert f'href="{reverse("password_change")}"' in menu
    form = client.get(reverse("password_change"))
    assert form.status_code == 200
    assert "registration/change_password.html" in [t.name for t in form.templates]

    response = client.post(
        reverse("password_change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert "Password changed" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("orders:list")).status_code == 200  # still signed in here

    fresh = Client()
    assert fresh.post(reverse("login"), {"username": "clerk", "password": OLD}).status_code == 200
    login = fresh.post(reverse("login"), {"username": "clerk", "password": NEW})
    assert login.status_code == 302 and login["Location"] == reverse("orders:list")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW},
            "Your old password was entered incorrectly",
        ),
        (
            {"old_password": OLD, "new_password1": NEW, "new_password2": NEW + "x"},
            "The two password fields didn’t match.",
        ),
        (
            {"old_password": OLD, "new_password1": "12345678", "new_password2": "12345678"},
            "This password is entirely numeric.",
        ),
        (
            {"old_password": OLD, "new_password1": "", "new_password2": ""},
            "This field is required.",
        ),
    ],
)
def test_a_bad_password_change_says_why_and_changes_nothing(client, data, error):
    user = UserFactory(role="staff", username="clerk")
    sign_in(client, "clerk", OLD)
    response = client.post(reverse("password_change"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The password was not changed" in html
    assert error in html
    user = get_user_model().objects.get(pk=user.pk)
    assert user.check_password(OLD)


def test_the_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
