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


def _buffer(*encoded: str) -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").rpush(product_events.BUFFER_KEY, *encoded)


def test_buffered_product_events_are_stored_in_batches_once(workspace, other_workspace, user):
    """Finished executions buffer their events; the flush stores them, each one once."""
    from datetime import UTC, datetime

    happened = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    events = [
        product_events.buffered_event(
            workspace_id=workspace.id,
            event_type="workflow_executed",
            distinct_id=str(user.id),
            properties={"execution_id": n},
            user_id=user.id,
            timestamp=happened,
        )
        for n in range(3)
    ]
    other = product_events.buffered_event(
        workspace_id=other_workspace.id, event_type="workflow_executed", distinct_id="system"
    )
    _buffer(*events, other)
    assert product_events.flush_buffer(batch_size=2) == 4

    _buffer(events[0])  # a batch handed over again after a crash before it was trimmed
    assert product_events.flush_buffer() == 1

    stored = Event.objects.filter(workspace=workspace).order_by("properties__execution_id")
    assert [event.properties["execution_id"] for event in stored] == [0, 1, 2]
    assert {event.created_at for event in stored} == {happened}
    assert Event.objects.filter(workspace=other_workspace).count() == 1


def test_a_buffered_event_of_a_deleted_workspace_or_invalid_is_dropped(workspace):
    gone = product_events.buffered_event(workspace_id=10**9, event_type="x_y", distinct_id="1")
    invalid = product_events.buffered_event(
        workspace_id=workspace.id, event_type="Not Valid", distinct_id="1"
    )
    _buffer(gone, invalid, "not json")

    assert product_events.flush_buffer() == 2  # the undecodable one is dropped and logged

    assert not Event.objects.exists()
    from django_redis import get_redis_connection

    assert get_redis_connection("default").llen(product_events.BUFFER_KEY) == 0
