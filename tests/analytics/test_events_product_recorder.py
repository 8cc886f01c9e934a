"""Other apps' product events (synapscale.product_events) are stored by analytics."""

import pytest
from django.db import transaction

from analytics.models import Event, EventHourlyCount
from synapscale import product_events

pytestmark = pytest.mark.django_db


def test_recorded_product_event_is_stored_with_rollups(workspace, user):
    product_events.record(
        workspace_id=workspace.id,
        event_type="template_installed",
        distinct_id=str(user.id),
        properties={"template": 7},
        user_id=user.id,
    )
    event = Event.objects.get(workspace=workspace)
    assert (event.event_type, event.user_id, event.properties) == (
        "template_installed",
        user.id,
        {"template": 7},
    )
    assert EventHourlyCount.objects.get(workspace=workspace).count == 1


def test_invalid_product_event_is_dropped_without_raising(workspace):
    product_events.record(workspace_id=workspace.id, event_type="Not Valid", distinct_id="x")
    assert not Event.objects.exists()


def test_product_event_rolls_back_with_the_callers_transaction(workspace):
    with pytest.raises(RuntimeError), transaction.atomic():
        product_events.record(
            workspace_id=workspace.id, event_type="workflow_executed", distinct_id="x"
        )
        raise RuntimeError("the install failed")
    assert not Event.objects.exists()


def test_database_failure_does_not_break_the_callers_transaction(workspace):
    with transaction.atomic():
        product_events.record(
            workspace_id=999999999, event_type="workflow_executed", distinct_id="x"
        )
        assert Event.objects.count() == 0  # the caller's transaction is still usable
