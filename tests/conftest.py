import pytest

from tests.factories import UserFactory


@pytest.fixture
def staff_user(db):
    return UserFactory(role="staff")


@pytest.fixture
def store_admin(db):
    return UserFactory(role="admin")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def store_admin_client(client, store_admin):
    client.force_login(store_admin)
    return client
