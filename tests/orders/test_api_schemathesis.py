"""The API against its own OpenAPI schema: schemathesis generates valid and invalid requests
for every operation and runs all its checks (no server error, only documented statuses,
content types and headers, responses that match their schemas, invalid data refused, valid
data accepted, auth not ignored, unsupported methods refused). Bounded: a few dozen examples
per operation, so the file takes seconds, not minutes."""

from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from backoffice.wsgi import application
from orders.models import Channel
from tests.factories import ProductFactory, VariantFactory, api_key

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 30

# A valid body in the schema's sense still breaks the store's rules almost always (an unknown
# SKU, totals that do not add up): intake refuses it with the documented 422, and a read of an
# order that is not there is the documented 404. The check still fails any other status.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["200", "201", "404", "409", "422"],
            },
        },
    }
)


# Loaded from the app itself, as a client would: its schema view, through the WSGI app.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does, a request's start and end do not close the database
    connection here: the test's transaction lives on it."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer():
    VariantFactory(sku="TEE-M-RED", product=ProductFactory(is_shippable=True), price=Decimal(20))
    return {"Authorization": f"Bearer {api_key(Channel.ONLINE)[1]}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, bearer):
    case.call_and_validate(headers=bearer)
