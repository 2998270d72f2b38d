import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory


@pytest.fixture
def viewer_client(client):
    """Logged in as someone who may look at orders and do nothing else."""
    user = UserFactory()
    user.save()  # the factory's password, so that the session stays valid
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="view_order")
    )
    client.force_login(user)
    return client
