"""Read-path indexes: the (workspace, type, time) event index carries the person (analyses
scan it index-only), and each person's active days in order (the WAU/MAU series).

analytics_event is partitioned (0006), and PostgreSQL builds no index concurrently on a
partitioned table. So the covering index is made the way its documentation gives for one:
an invalid index ``ON ONLY`` the parent, then each partition's index built concurrently
(no write lock) and attached; the parent's index is valid once every partition has one.
Partitions created later get it from the parent. Only then is the index it replaces
dropped, so the queries that used the old one always have an index. Reversible: backwards
builds the old index again the same way and drops the covering one.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Collate

COVERING = (
    "events_ws_type_time_person",
    "(workspace_id, event_type, created_at) INCLUDE (distinct_id)",
)
PLAIN = ("events_ws_type_time", "(workspace_id, event_type, created_at)")


def _partitions(cursor) -> list[str]:
    cursor.execute(
        "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid "
        "WHERE inhparent = 'analytics_event'::regclass ORDER BY 1"
    )
    return [name for (name,) in cursor.fetchall()]


def _build_on_every_partition(cursor, name: str, columns: str) -> None:
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON ONLY analytics_event {columns}")
    for partition in _partitions(cursor):
        child = f"{partition}_{name.removeprefix('events_')}"[:63]
        cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {child} ON {partition} {columns}")
        cursor.execute(
            "SELECT 1 FROM pg_inherits WHERE inhrelid = %s::regclass AND inhparent = %s::regclass",
            [child, name],
        )
        if cursor.fetchone() is None:
            cursor.execute(f"ALTER INDEX {name} ATTACH PARTITION {child}")


def _swap(schema_editor, build: tuple[str, str], drop: tuple[str, str]) -> None:
    with schema_editor.connection.cursor() as cursor:
        _build_on_every_partition(cursor, *build)
        cursor.execute(f"DROP INDEX IF EXISTS {drop[0]}")


def forwards(apps, schema_editor):
    _swap(schema_editor, build=COVERING, drop=PLAIN)


def backwards(apps, schema_editor):
    _swap(schema_editor, build=PLAIN, drop=COVERING)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("analytics", "0006_event_partitions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="event",
                    index=models.Index(
                        fields=["workspace", "event_type", "created_at"],
                        include=("distinct_id",),
                        name="events_ws_type_time_person",
                    ),
                ),
                migrations.RemoveIndex(model_name="event", name="events_ws_type_time"),
            ],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        ),
        AddIndexConcurrently(
            model_name="dailyactiveperson",
            index=models.Index(
                models.F("workspace"),
                Collate(models.F("distinct_id"), "C"),
                models.F("day"),
                name="dap_ws_person_day",
            ),
        ),
    ]
