"""The read-replica router, against two real databases.

The test settings' ``replica`` is a second PostgreSQL database that nothing replicates into:
a row planted only there (or only on the primary) shows which database a read went to.
"""

from __future__ import annotations

import pytest
from celery import shared_task
from django.db import router
from django.utils import timezone

from analytics.models import Event, EventMinuteCount
from analytics.selectors.analysis import analysis_compute
from analytics.selectors.metrics import realtime_metrics_cached
from config.settings.services import service_settings
from synapscale.db_routing import (
    PRIMARY,
    REPLICA,
    ROUTER,
    lag_tolerant_reads,
    primary_pin,
    routing_scope,
)
from synapscale.models import Workspace
from tests.analytics import analysis_cases as cases
from tests.analytics.analysis_fixtures import insert_events

pytestmark = pytest.mark.django_db(databases=[PRIMARY, REPLICA])

# Unique people (one per planted view): counted from the events themselves, where a count
# trend would sum the hourly rollup that the planting does not move.
TRENDS = {
    "events": ["page_view"],
    "metric": "unique_people",
    "date_range": {"from": "2026-01-01", "to": "2026-01-01"},
}


@pytest.fixture
def replica_router(settings):
    settings.DATABASE_ROUTERS = [ROUTER]


@pytest.fixture
def workspace(workspace):
    """The workspace on both databases, as a replica has it (the rows refer to it)."""
    workspace.save(using=REPLICA, force_insert=True)
    return workspace


def plant_page_views(workspace, count: int, *, using: str) -> None:
    """Store ``count`` page views on 2026-01-01 in one database only."""
    events = [(f"p{n}", "page_view", cases.at(1, 9, n), {}) for n in range(count)]
    insert_events(workspace, events)
    if using == REPLICA:
        # Moved rather than built twice: the same rows, only on the replica.
        rows = list(Event.objects.filter(workspace=workspace, event_type="page_view"))
        Event.objects.filter(pk__in=[row.pk for row in rows]).delete()
        Event.objects.using(REPLICA).bulk_create(rows)


def trend_total(workspace) -> int:
    result = analysis_compute(kind="trends", data=TRENDS, workspace_id=workspace.id)
    return sum(point["value"] for point in result["series"][0]["data"])


def events_last_minutes(workspace) -> int:
    value = realtime_metrics_cached(workspace_id=workspace.id, refresh=True).value
    return sum(minute["count"] for minute in value["events_per_minute"])


def test_analyses_read_the_replica_until_the_request_writes(replica_router, workspace):
    plant_page_views(workspace, 3, using=REPLICA)
    plant_page_views(workspace, 1, using=PRIMARY)
    with routing_scope():
        assert trend_total(workspace) == 3
        # Any ORM write pins the rest of the request to the primary: read-your-writes.
        EventMinuteCount.objects.create(workspace=workspace, minute=timezone.now(), count=0)
        assert trend_total(workspace) == 1
    with routing_scope():  # the next request starts afresh
        assert trend_total(workspace) == 3


def test_metrics_read_the_replica_and_a_raw_sql_write_pins_by_hand(replica_router, workspace):
    minute = timezone.now().replace(second=0, microsecond=0)
    EventMinuteCount.objects.using(REPLICA).create(workspace=workspace, minute=minute, count=7)
    with routing_scope():
        EventMinuteCount.objects.create(workspace=workspace, minute=minute, count=2)
    with routing_scope():
        assert events_last_minutes(workspace) == 7
        primary_pin()
        assert events_last_minutes(workspace) == 2


def test_reads_outside_lag_tolerant_blocks_stay_on_the_primary(replica_router, workspace):
    plant_page_views(workspace, 2, using=REPLICA)
    Workspace.objects.using(REPLICA).filter(pk=workspace.pk).update(name="as it was")
    with routing_scope():
        assert Event.objects.filter(workspace=workspace).count() == 0
        with lag_tolerant_reads() as using:
            assert using == REPLICA
            planted = Event.objects.filter(workspace=workspace).first()
        # A relation is read from the primary, not from the database the object came from.
        assert planted.workspace.name == workspace.name != "as it was"
        planted.distinct_id = "moved"
        assert router.db_for_write(Event, instance=planted) == PRIMARY


def test_without_the_router_every_read_is_the_primarys(workspace):
    plant_page_views(workspace, 2, using=REPLICA)
    with routing_scope(), lag_tolerant_reads() as using:
        assert using == PRIMARY
        assert trend_total(workspace) == 0


def test_a_request_that_wrote_reads_the_primary_and_the_next_one_the_replica(
    replica_router, api_client, workspace
):
    plant_page_views(workspace, 3, using=REPLICA)
    plant_page_views(workspace, 1, using=PRIMARY)
    url = "/api/v1/analytics/analysis/trends/?refresh=true"

    def total(response) -> int:
        assert response.status_code == 200, response.content
        return sum(point["value"] for point in response.json()["series"][0]["data"])

    # The token's first use writes its last_used_at: that request reads its own writes.
    assert total(api_client.post(url, TRENDS, format="json")) == 1
    # The next one (last_used_at is written once a minute) writes nothing.
    assert total(api_client.post(url, TRENDS, format="json")) == 3


@shared_task(name="tests.replica.trend_total")
def trend_total_task(workspace_id: int) -> int:
    result = analysis_compute(kind="trends", data=TRENDS, workspace_id=workspace_id)
    return sum(point["value"] for point in result["series"][0]["data"])


def test_each_task_starts_without_the_pin_of_the_one_before(replica_router, workspace):
    plant_page_views(workspace, 3, using=REPLICA)
    with routing_scope():
        primary_pin()  # what the previous task on this worker thread left
        assert trend_total_task.apply(args=[workspace.id]).get() == 3


def test_service_settings_add_the_replica_and_its_router_only_when_configured():
    primary_url = "postgres://app@db-primary:5432/synapscale"
    alone = service_settings(database_url=primary_url, redis_url="redis://cache:6379/0")
    assert set(alone["DATABASES"]) == {PRIMARY}
    assert alone["DATABASE_ROUTERS"] == []
    replicated = service_settings(
        database_url=primary_url,
        redis_url="redis://cache:6379/0",
        replica_url="postgres://reader@db-standby:5432/synapscale",
    )
    replica = replicated["DATABASES"][REPLICA]
    assert (replica["HOST"], replica["USER"]) == ("db-standby", "reader")
    assert replica["OPTIONS"] == replicated["DATABASES"][PRIMARY]["OPTIONS"]
    assert replicated["DATABASE_ROUTERS"] == [ROUTER]


def test_migrations_never_target_the_replica(replica_router):
    assert router.allow_migrate(REPLICA, "analytics") is False
    assert router.allow_migrate(PRIMARY, "analytics") is True
