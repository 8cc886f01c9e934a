"""Migration 0006 moves stored events into the partitioned table, and back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# Transactional: 0007 builds its index with CREATE INDEX CONCURRENTLY, which no transaction
# may hold. The test migrates back to the leaves whatever happens, so later tests find the
# schema they expect.
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("analytics", "0005_export_source_audit")
PARTITIONED = ("analytics", "0006_event_partitions")
# Older than the year back the migration covers anyway: it gets a partition of its own.
MOMENTS = [datetime(2024, 3, 9, 12, tzinfo=UTC), timezone.now()]


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()


def _table_kind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'analytics_event'")
        return cursor.fetchone()[0]


def _rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, event_id, created_at, tableoid::regclass::text FROM analytics_event "
            "ORDER BY id"
        )
        return cursor.fetchall()


def _constraints() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'analytics_event'::regclass"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def migrated_back_to_the_leaves():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes("analytics")
    yield leaves
    for leaf in leaves:
        _migrate(leaf)


def test_events_move_into_partitions_and_back(workspace, migrated_back_to_the_leaves):
    _migrate(BEFORE)
    assert _table_kind() == "r"
    event_ids = [uuid.uuid4() for _ in MOMENTS]
    with connection.cursor() as cursor:
        for event_id, moment in zip(event_ids, MOMENTS, strict=True):
            cursor.execute(
                "INSERT INTO analytics_event (workspace_id, event_id, event_type, distinct_id, "
                "session_id, properties, user_agent, page_url, referrer, created_at, "
                "received_at) VALUES (%s, %s, 'click', 'p1', '', '{}', '', '', '', %s, %s)",
                [workspace.id, event_id, moment, moment],
            )
    before = [row[:3] for row in _rows()]

    _migrate(PARTITIONED)
    assert _table_kind() == "p"
    rows = _rows()
    assert [row[:3] for row in rows] == before  # same ids, keys and times
    assert [row[3] for row in rows] == [f"analytics_event_p{m:%Y_%m}" for m in MOMENTS]
    assert "analytics_event_ws_event_id_uniq" not in _constraints()
    with connection.cursor() as cursor:
        cursor.execute("SELECT workspace_id, event_id FROM analytics_eventkey ORDER BY created_at")
        assert cursor.fetchall() == [(workspace.id, event_id) for event_id in event_ids]
        cursor.execute(
            "INSERT INTO analytics_event (workspace_id, event_id, event_type, distinct_id, "
            "session_id, properties, user_agent, page_url, referrer, created_at, received_at) "
            "VALUES (%s, %s, 'click', 'p1', '', '{}', '', '', '', now(), now()) RETURNING id",
            [workspace.id, uuid.uuid4()],
        )
        assert cursor.fetchone()[0] > rows[-1][0]  # the identity moved past the copied ids

    _migrate(BEFORE)
    assert _table_kind() == "r"
    assert [row[:3] for row in _rows()][:2] == before
    assert {"analytics_event_pkey", "analytics_event_ws_event_id_uniq"} <= _constraints()
    for leaf in migrated_back_to_the_leaves:
        _migrate(leaf)
    assert _table_kind() == "p"
