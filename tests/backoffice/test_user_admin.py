"""The Django admin's user pages (backoffice/admin.py): a store admin gives a user one role,
never superuser, staff flags, groups or single permissions beyond it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from backoffice.roles import ORDER_STAFF, STORE_ADMIN
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def escalation(user, **data) -> dict:
    """Every field Django's own user form has, set as high as it goes."""
    return {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [g.pk for g in Group.objects.all()],
        "user_permissions": [Permission.objects.get(codename="add_group").pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "role": "admin",
        **data,
    }


def test_a_store_admin_cannot_make_themselves_superuser(store_admin_client, store_admin):
    response = store_admin_client.post(change_url(store_admin), escalation(store_admin))
    assert response.status_code == 302, response.content.decode()[:2000]
    store_admin.refresh_from_db()
    assert not store_admin.is_superuser
    assert list(store_admin.groups.values_list("name", flat=True)) == [STORE_ADMIN]
    assert not store_admin.user_permissions.exists()
    assert not store_admin.has_perm("auth.add_group")


def test_the_store_admins_user_form_shows_only_the_role(store_admin_client, staff_user):
    html = store_admin_client.get(change_url(staff_user)).content.decode()
    for field in ("is_superuser", "is_staff", "user_permissions", "groups"):
        assert f'name="{field}"' not in html
    assert 'name="role"' in html


def test_a_store_admin_switches_a_users_role_and_staff_flag_follows(store_admin_client, staff_user):
    response = store_admin_client.post(change_url(staff_user), escalation(staff_user))
    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert list(staff_user.groups.values_list("name", flat=True)) == [STORE_ADMIN]
    assert staff_user.is_staff and not staff_user.is_superuser

    store_admin_client.post(change_url(staff_user), escalation(staff_user, role="staff"))
    staff_user.refresh_from_db()
    assert list(staff_user.groups.values_list("name", flat=True)) == [ORDER_STAFF]
    assert not staff_user.is_staff


def test_a_store_admin_adds_a_user_with_one_role(store_admin_client):
    response = store_admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a-long-Passw0rd-9",
            "password2": "a-long-Passw0rd-9",
            "role": "staff",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = UserFactory._meta.model.objects.get(username="newbie")
    assert list(user.groups.values_list("name", flat=True)) == [ORDER_STAFF]
    assert not user.is_staff and not user.is_superuser


def test_a_store_admin_cannot_change_a_superuser(store_admin_client):
    root = UserFactory(is_superuser=True, is_staff=True, role=None)
    root.set_password("root-pass-word-1")
    root.save()
    assert store_admin_client.get(change_url(root)).status_code in (302, 403, 404)
    store_admin_client.post(change_url(root), escalation(root, role="staff", is_active=""))
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    store_admin_client.post(
        password_url, {"password1": "taken-Over-123", "password2": "taken-Over-123"}
    )
    root.refresh_from_db()
    assert root.is_active and root.is_superuser
    assert root.check_password("root-pass-word-1")
