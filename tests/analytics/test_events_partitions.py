"""analytics_event partitioned by month: ingestion, dedup across months, ahead, retention."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from analytics.models import DailyActivePerson, Event, EventHourlyCount, EventKey
from analytics.selectors.partitions import (
    DEFAULT_PARTITION,
    EventPartition,
    event_partitions,
    month_add,
    month_start,
)
from analytics.services.partitions import event_partitions_ensure, events_retention_apply
from analytics.tasks import event_partitions_ensure as ensure_task
from analytics.tasks import events_retention_apply as retention_task
from tests.analytics.factories import ingest_events
from tests.round_trips import count_redis_commands

pytestmark = pytest.mark.django_db


def _partition_of(event_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM analytics_event WHERE event_id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def _drop_partition(month) -> None:
    name = EventPartition.for_month(month).name
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE analytics_event DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")


def _event(event_id, moment, event_type="click"):
    return {
        "event_id": str(event_id),
        "event_type": event_type,
        "distinct_id": "p1",
        "timestamp": moment.isoformat(),
    }


def test_migration_left_a_partition_for_every_month_ingestion_accepts():
    now = timezone.now()
    months = {partition.start for partition in event_partitions()}
    month = month_start(now - timedelta(days=365))
    while month <= month_add(month_start(now), 3):
        assert month in months
        month = month_add(month, 1)


def test_event_is_stored_in_its_months_partition(workspace):
    moment = timezone.now() - timedelta(days=40)
    event_id = uuid.uuid4()
    assert ingest_events(workspace, [_event(event_id, moment)]).accepted == 1
    assert _partition_of(event_id) == EventPartition.for_month(month_start(moment)).name


def test_event_of_a_month_without_partition_is_stored_then_moved_into_it(workspace):
    now = timezone.now()
    _drop_partition(month_start(now))
    event_id = uuid.uuid4()

    assert ingest_events(workspace, [_event(event_id, now)]).accepted == 1
    assert _partition_of(event_id) == DEFAULT_PARTITION

    created = event_partitions_ensure(now=now)
    assert [partition.start for partition in created] == [month_start(now)]
    assert _partition_of(event_id) == created[0].name
    assert Event.objects.filter(workspace=workspace).count() == 1


@override_settings(ANALYTICS_EVENT_PARTITIONS_AHEAD=2)
def test_partitions_are_created_ahead_once():
    later = timezone.now() + timedelta(days=200)  # past the months the migration made
    created = event_partitions_ensure(now=later)
    last = month_add(month_start(later), 2)
    assert created[-1].start == last
    assert {partition.start for partition in event_partitions()} >= {
        partition.start for partition in created
    }
    assert event_partitions_ensure(now=later) == []


def test_the_same_event_id_in_two_months_is_stored_once(workspace):
    now = timezone.now()
    event_id = uuid.uuid4()
    first = ingest_events(workspace, [_event(event_id, now - timedelta(days=45))])
    again = ingest_events(workspace, [_event(event_id, now)])
    in_one_batch = ingest_events(
        workspace, [_event(event_id, now - timedelta(days=80)), _event(event_id, now)]
    )
    assert (first.accepted, again.duplicates, in_one_batch.duplicates) == (1, 1, 2)
    assert Event.objects.filter(workspace=workspace).count() == 1
    assert EventKey.objects.filter(workspace=workspace).count() == 1
    assert sum(EventHourlyCount.objects.values_list("count", flat=True)) == 1


def test_a_repeated_id_within_a_new_batch_keeps_its_first_occurrence(workspace):
    now = timezone.now()
    event_id = uuid.uuid4()
    result = ingest_events(
        workspace,
        [_event(event_id, now - timedelta(days=40), "first"), _event(event_id, now, "second")],
    )
    assert (result.accepted, result.duplicates) == (1, 1)
    assert Event.objects.get(workspace=workspace).event_type == "first"


def test_the_same_event_id_in_two_workspaces_is_two_events(workspace, other_workspace):
    event_id, now = uuid.uuid4(), timezone.now()
    ingest_events(workspace, [_event(event_id, now)])
    assert ingest_events(other_workspace, [_event(event_id, now)]).accepted == 1


def test_a_batch_over_three_months_is_one_statement_and_one_quota_command(
    workspace, django_assert_max_num_queries
):
    now = timezone.now()
    batch = [
        _event(uuid.uuid4(), now - timedelta(days=35 * (index % 3)), f"type_{index % 5}")
        for index in range(300)
    ]
    # The workspace's quota overrides (cached after), a savepoint around the one statement.
    with django_assert_max_num_queries(4) as queries, count_redis_commands() as redis_log:
        assert ingest_events(workspace, batch).accepted == 300
    inserts = [query for query in queries.captured_queries if "analytics_eventkey" in query["sql"]]
    assert len(inserts) == 1
    assert redis_log.count == 1  # the events_per_day quota's script


@override_settings(ANALYTICS_EVENT_RETENTION_DAYS=30)
def test_an_event_older_than_the_retention_is_refused(workspace):
    result = ingest_events(workspace, [_event(uuid.uuid4(), timezone.now() - timedelta(days=40))])
    message = "Must be no more than 30 days in the past (the event retention)."
    assert result.rejected == [{"index": 0, "errors": {"timestamp": [message]}}]


def test_retention_drops_old_partitions_keys_and_rollups(workspace, user):
    now = timezone.now()
    old_moment, recent_moment = now - timedelta(days=150), now - timedelta(days=5)
    old_id, recent_id = uuid.uuid4(), uuid.uuid4()
    ingest_events(workspace, [_event(old_id, old_moment), _event(recent_id, recent_moment)])
    stranded = Event.objects.create(  # a month without partition: the DEFAULT one
        workspace=workspace,
        event_id=uuid.uuid4(),
        event_type="click",
        distinct_id="p1",
        created_at=now - timedelta(days=3000),
        received_at=now,
    )
    assert _partition_of(stranded.event_id) == DEFAULT_PARTITION
    old_partition = EventPartition.for_month(month_start(old_moment))
    with connection.cursor() as cursor:
        # The test's transaction never commits: run the deferred foreign-key checks of the
        # rows inserted above now, as a commit would, or the partition cannot be dropped.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with override_settings(
        ANALYTICS_EVENT_RETENTION_DAYS=60,
        ANALYTICS_HOURLY_COUNTS_RETENTION_DAYS=30,
        ANALYTICS_DAILY_ACTIVE_PEOPLE_RETENTION_DAYS=90,
    ):
        result = events_retention_apply(now=now)

    assert old_partition.name in result.partitions_dropped
    assert old_partition.start not in {partition.start for partition in event_partitions()}
    assert month_start(recent_moment) in {partition.start for partition in event_partitions()}
    assert list(Event.objects.values_list("event_id", flat=True)) == [recent_id]
    assert list(EventKey.objects.values_list("event_id", flat=True)) == [recent_id]
    assert (result.default_rows_deleted, result.keys_deleted) == (1, 1)
    assert [row.hour.date() for row in EventHourlyCount.objects.all()] == [recent_moment.date()]
    assert list(DailyActivePerson.objects.values_list("day", flat=True)) == [recent_moment.date()]
    assert (result.hourly_counts_deleted, result.daily_active_people_deleted) == (1, 1)


def test_retention_keeps_everything_by_default(workspace):
    ingest_events(workspace, [_event(uuid.uuid4(), timezone.now() - timedelta(days=300))])
    result = events_retention_apply()
    assert result.partitions_dropped == []
    assert Event.objects.count() == EventKey.objects.count() == 1
    assert EventHourlyCount.objects.count() == DailyActivePerson.objects.count() == 1


@override_settings(ANALYTICS_EVENT_PARTITIONS_AHEAD=4)
def test_the_periodic_tasks_call_the_services():
    now = timezone.now()
    existing = {partition.start for partition in event_partitions()}
    assert month_add(month_start(now), 4) not in existing  # the migration made three ahead
    assert ensure_task.apply().get() == 1
    with override_settings(ANALYTICS_EVENT_RETENTION_DAYS=100):
        boundary = month_start(now - timedelta(days=100))
        past = [partition for partition in event_partitions() if partition.end <= boundary]
        assert len(past) >= 8
        assert retention_task.apply().get() == len(past)


def test_deleting_a_workspace_deletes_its_events_and_their_keys(workspace, other_workspace):
    now = timezone.now()
    ingest_events(workspace, [_event(uuid.uuid4(), now - timedelta(days=days)) for days in (1, 40)])
    ingest_events(other_workspace, [_event(uuid.uuid4(), now)])
    workspace.delete()
    assert list(EventKey.objects.values_list("workspace_id", flat=True)) == [other_workspace.id]
    assert list(Event.objects.values_list("workspace_id", flat=True)) == [other_workspace.id]
