"""Benchmark metric queries at 1M and 10M events: their cost follows buckets, not events.

Fills a separate benchmark database with synthetic events (SQL ``generate_series``: 90 days,
6 event types, 20,000 people), rebuilds the rollups with the same service the
``rebuild_rollups`` command uses, then times the business metrics (30-day and 365-day
windows), the realtime metrics and the event-type catalogue, at each size.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/metrics.py [--sizes 1000000,10000000] [--repeat 5]

The benchmark database is DATABASE_URL's name + ``_bench`` (or BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._benchdb import use_bench_database  # noqa: E402
from benchmarks._figures import Figures  # noqa: E402
from benchmarks._figures import median_ms as timed  # noqa: E402

BENCH_URL = use_bench_database()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics.choices import MetricPeriod  # noqa: E402
from analytics.models import Event  # noqa: E402
from analytics.selectors.events import event_types_for_workspace  # noqa: E402
from analytics.selectors.metrics import (  # noqa: E402
    business_metrics,
    business_window_default,
    realtime_metrics,
)
from analytics.services.metrics import rollups_rebuild  # noqa: E402
from synapscale.models import Workspace  # noqa: E402
from synapscale.services.workspaces import workspace_create  # noqa: E402

DAYS = 90
PEOPLE = 20_000
CHUNK = 1_000_000
TABLES = (
    "analytics_event",
    "analytics_eventhourlycount",
    "analytics_dailyactiveperson",
    "analytics_person",
    "analytics_eventminutecount",
    "analytics_recentactiveperson",
)
GENERATE_SQL = """
INSERT INTO analytics_event (
    workspace_id, event_id, event_type, distinct_id, session_id, properties, ip,
    user_agent, page_url, referrer, created_at, received_at
)
SELECT %(workspace_id)s,
       gen_random_uuid(),
       (ARRAY['page_view', 'click', 'form_submit', 'feature_used',
              'workflow_executed', 'error'])[1 + (n %% 6)],
       'person-' || (floor(random() * %(people)s))::int,
       's-' || (n / 10),
       jsonb_build_object('plan', CASE WHEN n %% 3 = 0 THEN 'pro' ELSE 'free' END),
       '203.0.113.0'::inet,
       'bench',
       'https://app.example/p/' || (n %% 200),
       '',
       %(now)s - random() * interval '%(days)s days',
       %(now)s
FROM generate_series(%(start)s, %(stop)s) AS n
"""


def workspace_for_bench() -> Workspace:
    workspace = Workspace.objects.filter(slug="bench-metrics").first()
    if workspace is None:
        owner, _ = get_user_model().objects.get_or_create(username="bench-metrics")
        workspace = workspace_create(name="Bench metrics", owner=owner, slug="bench-metrics")
    return workspace


def event_count(workspace_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM analytics_event WHERE workspace_id = %s", [workspace_id]
        )
        return cursor.fetchone()[0]


def grow_to(workspace_id: int, target: int, now) -> float:
    """Insert synthetic events until the workspace has ``target``; return seconds spent.

    The event table's indexes are dropped for the bulk load and rebuilt after it (a bulk
    build is several times faster than row-by-row maintenance), so the table the metrics
    run against is the production table, indexes included.
    """
    started = time.perf_counter()
    have = event_count(workspace_id)
    with without_event_indexes(), connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        while have < target:
            stop = min(target, have + CHUNK)
            cursor.execute(
                GENERATE_SQL,
                {
                    "workspace_id": workspace_id,
                    "people": PEOPLE,
                    "now": now,
                    "days": DAYS,
                    "start": have + 1,
                    "stop": stop,
                },
            )
            have = stop
            print(f"  {have:,} events", flush=True)
        cursor.execute("ANALYZE analytics_event")
    return time.perf_counter() - started


@contextmanager
def without_event_indexes():
    indexes, constraints = Event._meta.indexes, Event._meta.constraints
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.remove_index(Event, index)
        for constraint in constraints:
            editor.remove_constraint(Event, constraint)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for constraint in constraints:
                editor.add_constraint(Event, constraint)
            for index in indexes:
                editor.add_index(Event, index)


def rollup_sizes(workspace_id: int) -> dict[str, int]:
    sizes = {}
    with connection.cursor() as cursor:
        for table in (
            "analytics_eventhourlycount",
            "analytics_dailyactiveperson",
            "analytics_person",
        ):
            cursor.execute(f"SELECT count(*) FROM {table} WHERE workspace_id = %s", [workspace_id])
            sizes[table.removeprefix("analytics_")] = cursor.fetchone()[0]
        # VACUUM as autovacuum would: the series' index-only scan needs the visibility map.
        cursor.execute("VACUUM (ANALYZE) analytics_dailyactiveperson")
        cursor.execute("VACUUM (ANALYZE) analytics_eventhourlycount")
    return sizes


def measure(workspace_id: int, repeat: int) -> dict[str, float]:
    month = business_window_default(period=MetricPeriod.DAY)
    year = business_window_default(period=MetricPeriod.MONTH)
    return {
        "business 30 days": timed(
            lambda: business_metrics(workspace_id=workspace_id, window=month), repeat
        ),
        "business 365 days": timed(
            lambda: business_metrics(workspace_id=workspace_id, window=year), repeat
        ),
        "realtime": timed(lambda: realtime_metrics(workspace_id=workspace_id), repeat),
        "event types": timed(
            lambda: list(event_types_for_workspace(workspace=workspace_id)), repeat
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--figures", type=Path, help="write the figures as JSON (run_all.py)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    figures = Figures("metrics", BENCH_URL, sizes=sizes, repeat=args.repeat)

    call_command("migrate", verbosity=0)
    workspace = workspace_for_bench()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
    now = timezone.now()
    results = []
    for size in sizes:
        print(f"generating {size:,} events over {DAYS} days, {PEOPLE:,} people...", flush=True)
        load_seconds = grow_to(workspace.id, size, now)
        started = time.perf_counter()
        rollups_rebuild(
            date_from=(now - timedelta(days=DAYS + 1)).date(),
            date_to=now.date(),
            workspace_id=workspace.id,
        )
        rebuild_seconds = time.perf_counter() - started
        buckets = rollup_sizes(workspace.id)
        timings = measure(workspace.id, args.repeat)
        results.append((size, load_seconds, rebuild_seconds, buckets, timings))

    print(f"\ndatabase: {BENCH_URL.rsplit('/', 1)[-1]}  cores: {os.cpu_count()}")
    for size, load_seconds, rebuild_seconds, buckets, timings in results:
        rows = ", ".join(f"{name} {count:,}" for name, count in buckets.items())
        print(
            f"{size:>11,} events (load {load_seconds:.0f} s, "
            f"rollup rebuild {rebuild_seconds:.0f} s)  rollup rows: {rows}"
        )
        for name, milliseconds in timings.items():
            print(f"    {name:<18} {milliseconds:8.1f} ms (median of {args.repeat})")
            figures.add(f"{name} @ {size}", milliseconds, "ms", better="lower", calibrate="pg")
    figures.write(args.figures)


if __name__ == "__main__":
    main()
