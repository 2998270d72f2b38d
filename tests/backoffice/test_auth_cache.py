"""Permission sets are cached across requests, and a change is seen on the very next one."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.roles import ORDER_STAFF

pytestmark = pytest.mark.django_db
LIST = reverse("orders:list")


def test_permissions_are_read_once_not_on_every_request(staff_client):
    staff_client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        assert staff_client.get(LIST).status_code == 200
    assert not any("auth_permission" in q["sql"] for q in queries)


def test_removing_a_role_is_refused_on_the_next_request(staff_client, staff_user):
    assert staff_client.get(LIST).status_code == 200
    staff_user.groups.clear()
    assert staff_client.get(LIST).status_code == 403


def test_taking_a_permission_from_a_role_applies_to_its_members_at_once(staff_client):
    assert staff_client.get(LIST).status_code == 200
    view_order = Permission.objects.get(codename="view_order", content_type__app_label="orders")
    Group.objects.get(name=ORDER_STAFF).permissions.remove(view_order)
    assert staff_client.get(LIST).status_code == 403


def test_a_deactivated_user_is_refused(staff_client, staff_user):
    assert staff_client.get(LIST).status_code == 200
    staff_user.is_active = False
    staff_user.save()
    response = staff_client.get(LIST)
    assert response.status_code == 302
