"""Benchmark the analyses (trends, funnels, retention, A/B test) at 1M and 10M events.

Generates events with ``generate_series`` straight in PostgreSQL, in a separate benchmark
database (DATABASE_URL's name + ``_bench``, or BENCH_DATABASE_URL), into one workspace:
200,000 people over 90 days, eight event types, ``browser``/``variant``/``plan``
properties. The event table's indexes are dropped during the load and rebuilt after it
(faster than maintaining them row by row), the workspace's rollups are rebuilt (ingestion
maintains them in production), then the tables are vacuumed and analyzed. Each size has its
own workspace and is kept between runs: a run reloads a size only when its workspace does
not hold exactly that many events (``--reload`` forces it). Each analysis runs uncached over
the whole 90 days, ``--runs`` times; the median and the fastest are printed.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/analysis.py [--sizes 1000000 10000000] [--runs 3] [--drop]

``--drop`` removes the benchmark database at the end. ``--explain`` prints the
``EXPLAIN (ANALYZE, BUFFERS)`` of each statement of each analysis (one more run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._benchdb import ensure_event_partitions  # noqa: E402

PEOPLE = 200_000
START = "2026-01-01T00:00:00+00:00"
FIRST_DAY, LAST_DAY = dt.date(2026, 1, 1), dt.date(2026, 4, 1)
RANGE = {"date_from": "2026-01-01", "date_to": "2026-03-31"}  # the 90 days generated

QUERIES = {
    "trends (2 events, daily count)": (
        "trends",
        {"events": ["page_view", "click"], "interval": "day", **RANGE},
    ),
    "trends (unique people, browser breakdown, compare)": (
        "trends",
        {
            "events": ["page_view"],
            "metric": "unique_people",
            "interval": "week",
            "breakdown": "properties.browser",
            "compare": True,
            **RANGE,
        },
    ),
    "funnels (3 steps, 7-day window)": (
        "funnels",
        {
            "steps": [
                {"event_type": "signup"},
                {"event_type": "workflow_created"},
                {"event_type": "workflow_executed"},
            ],
            "window_seconds": 7 * 86400,
            **RANGE,
        },
    ),
    "retention (weekly, 8 periods)": (
        "retention",
        {
            "start_event": "signup",
            "return_event": "user_login",
            "period": "week",
            "periods": 8,
            **RANGE,
        },
    ),
    "ab_test (2 variants, 7-day window)": (
        "ab_test",
        {
            "exposure_event": "experiment_viewed",
            "variant_property": "variant",
            "goal_event": "purchase",
            "window_seconds": 7 * 86400,
            **RANGE,
        },
    ),
}

GENERATE = """
INSERT INTO analytics_event (workspace_id, event_id, event_type, user_id, distinct_id,
    session_id, properties, ip, user_agent, page_url, referrer, created_at, received_at)
SELECT %(workspace)s, gen_random_uuid(),
       CASE WHEN r < 0.40 THEN 'page_view' WHEN r < 0.60 THEN 'click'
            WHEN r < 0.70 THEN 'user_login' WHEN r < 0.75 THEN 'signup'
            WHEN r < 0.80 THEN 'workflow_created' WHEN r < 0.85 THEN 'workflow_executed'
            WHEN r < 0.95 THEN 'experiment_viewed' ELSE 'purchase' END,
       NULL, 'person-' || floor(random() * %(people)s)::int, '',
       jsonb_build_object(
           'browser', (ARRAY['chrome', 'firefox', 'safari', 'edge'])[1 + floor(random() * 4)::int],
           'variant', CASE WHEN random() < 0.5 THEN 'control' ELSE 'test' END,
           'plan', CASE WHEN random() < 0.2 THEN 'pro' ELSE 'free' END),
       NULL, '', '', '', moment, moment
FROM (
    SELECT random() AS r, %(start)s::timestamptz + random() * interval '90 days' AS moment
    FROM generate_series(1, %(rows)s)
) AS generated
"""


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit("Set DATABASE_URL (or BENCH_DATABASE_URL): the benchmark needs it.")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/') or 'synapscale'}_bench"))


def maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def ensure_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_events(connection, *, workspace_id: int, rows: int) -> float:
    """Replace the workspace's events by ``rows`` generated ones (indexes dropped and rebuilt),
    rebuild its rollups, vacuum and analyze; return seconds."""
    from analytics.services.metrics import rollups_rebuild

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_event WHERE workspace_id = %s", [workspace_id])
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        # The partitioned table's own indexes (dropping one drops it on every partition);
        # the primary key (id, created_at) stays. Dedup keys (analytics_eventkey) are not
        # written: the analyses never read them.
        cursor.execute(
            "SELECT indexname, replace(indexdef, ' ON ONLY ', ' ON ') FROM pg_indexes "
            "WHERE tablename = 'analytics_event' AND indexname NOT IN (SELECT conname "
            "FROM pg_constraint WHERE conrelid = 'analytics_event'::regclass)"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        remaining = rows
        while remaining:  # chunks keep each statement's memory and WAL bounded
            chunk = min(remaining, 2_000_000)
            cursor.execute(
                GENERATE,
                {"workspace": workspace_id, "people": PEOPLE, "start": START, "rows": chunk},
            )
            remaining -= chunk
        for _, definition in indexes:
            cursor.execute(definition)
    rollups_rebuild(date_from=FIRST_DAY, date_to=LAST_DAY, workspace_id=workspace_id)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # Autovacuum would do this in production; index-only scans need the visibility map.
        for table in ("analytics_event", "analytics_eventhourlycount"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - started


def event_count(connection, workspace_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM analytics_event WHERE workspace_id = %s", [workspace_id]
        )
        return cursor.fetchone()[0]


def explain_queries(connection, workspace_id: int) -> None:
    """Print the plan of every statement each analysis runs (EXPLAIN ANALYZE runs it)."""
    from django.test.utils import CaptureQueriesContext

    from analytics.selectors.analysis import analysis_compute

    for label, (kind, query) in QUERIES.items():
        with CaptureQueriesContext(connection) as captured:
            analysis_compute(kind=kind, data=query, workspace_id=workspace_id)
        statements = [q["sql"] for q in captured.captured_queries if "SELECT" in q["sql"]]
        for sql in statements:
            if sql.lstrip().upper().startswith("SET"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("SET work_mem = '64MB'")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                cursor.execute("RESET work_mem")
            print(f"\n--- {label}\n{plan}")


def time_queries(workspace_id: int, runs: int) -> dict[str, list[float]]:
    from analytics.selectors.analysis import analysis_compute

    timings = {}
    for label, (kind, query) in QUERIES.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            analysis_compute(kind=kind, data=query, workspace_id=workspace_id)
            samples.append(time.perf_counter() - started)
        timings[label] = samples
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database after")
    parser.add_argument("--reload", action="store_true", help="regenerate every size's events")
    parser.add_argument("--explain", action="store_true", help="print each statement's plan")
    parser.add_argument("--figures", type=Path, help="write the figures as JSON (run_all.py)")
    args = parser.parse_args()

    url = bench_database_url()
    ensure_database(url)
    from benchmarks._figures import Figures

    figures = Figures("analysis", url, sizes=sorted(args.sizes), runs=args.runs)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    # The benchmark measures how long an analysis takes, so the statement budget (15 s by
    # default, QUERY_BUDGETS_MS) must not cut a slow one short.
    os.environ.setdefault("QUERY_BUDGET_ANALYSIS_MS", "600000")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from synapscale.models import Workspace

    call_command("migrate", verbosity=0)
    start = datetime.fromisoformat(START)
    ensure_event_partitions(start, start + timedelta(days=90))
    print(f"benchmark database: {urlsplit(url).path.lstrip('/')}; people: {PEOPLE:,}")
    results = {}
    for size in sorted(args.sizes):
        workspace, _ = Workspace.objects.get_or_create(
            slug=f"bench-analysis-{size}", defaults={"name": f"Analysis benchmark {size:,}"}
        )
        if args.reload or event_count(connection, workspace.id) != size:
            seconds = load_events(connection, workspace_id=workspace.id, rows=size)
            print(f"\nloaded {size:,} events in {seconds:.1f}s (indexes rebuilt, analyzed)")
        else:
            print(f"\n{size:,} events already loaded")
        results[size] = time_queries(workspace.id, args.runs)
        for label, samples in results[size].items():
            print(
                f"  {label:<52} median {statistics.median(samples) * 1000:8.0f} ms"
                f"   min {min(samples) * 1000:8.0f} ms"
            )
            median_ms = statistics.median(samples) * 1000
            figures.add(f"{label} @ {size}", median_ms, "ms", better="lower", calibrate="pg")
        if args.explain:
            explain_queries(connection, workspace.id)
    figures.write(args.figures)
    connection.close()
    if args.drop:
        drop_database(url)
        print("\nbenchmark database dropped")


if __name__ == "__main__":
    main()
