"""Read-path indexes: the (workspace, type, time) event index carries the person (analyses
scan it index-only), and each person's active days in order (the WAU/MAU series).

Built concurrently (no write lock for the build on a large table), before the index it
replaces is dropped, so the queries that used the old one always have an index. Reversible:
backwards builds the old index again and drops the covering one.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Collate


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("analytics", "0005_export_source_audit"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(
                fields=["workspace", "event_type", "created_at"],
                include=("distinct_id",),
                name="events_ws_type_time_person",
            ),
        ),
        RemoveIndexConcurrently(model_name="event", name="events_ws_type_time"),
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
