"""Every operation of the API schema has an SDK method, or is excluded with a reason."""

import pytest
from synapscale_sdk import EXCLUDED, OPERATIONS
from synapscale_sdk.resources import analytics as sdk_analytics

from analytics.services.events_validation import MAX_BATCH_EVENTS

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema_operation_ids(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return {
        operation["operationId"]
        for item in response.json()["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    }


@pytest.mark.django_db
def test_every_schema_operation_has_an_sdk_method_or_a_reason(schema_operation_ids):
    missing = schema_operation_ids - set(OPERATIONS) - set(EXCLUDED)
    assert not missing, f"operations with no SDK method and no exclusion: {sorted(missing)}"


@pytest.mark.django_db
def test_the_sdk_names_no_operation_the_schema_lacks(schema_operation_ids):
    assert not (set(OPERATIONS) - schema_operation_ids)
    assert not (set(EXCLUDED) - schema_operation_ids)
    assert not (set(OPERATIONS) & set(EXCLUDED))


def test_every_exclusion_gives_a_reason():
    assert all(len(reason) > 20 for reason in EXCLUDED.values())


def test_the_sdk_batches_by_the_api_limit():
    assert sdk_analytics.MAX_BATCH_EVENTS == MAX_BATCH_EVENTS
