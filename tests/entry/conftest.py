import pytest

from entry import services
from entry.models import Draft
from tests.entry.factories import entry_shop
from tests.factories import UserFactory


@pytest.fixture
def clerk(db):
    return UserFactory(role="staff")


@pytest.fixture
def shop(db):
    return entry_shop()


@pytest.fixture
def ready_draft(shop, clerk):
    """A draft with 2 small shirts shipped to the CA address by Standard, at review."""
    draft = services.draft_create(owner=clerk)
    services.draft_contact_set(draft_id=draft.pk, owner=clerk, profile_id=shop["profile"].pk)
    services.draft_contact_confirm(draft_id=draft.pk, owner=clerk)
    line = services.draft_line_add(
        draft_id=draft.pk, owner=clerk, variant_id=shop["small"].pk, quantity=2
    )
    services.draft_items_confirm(draft_id=draft.pk, owner=clerk)
    services.draft_shipping_set(
        draft_id=draft.pk,
        owner=clerk,
        allocations=[services.Allocation(line.pk, shop["home"].pk, 2)],
        speeds={shop["home"].pk: shop["standard"].pk},
    )
    return Draft.objects.get(pk=draft.pk)
