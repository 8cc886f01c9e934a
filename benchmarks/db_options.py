"""Measure the database connection options on the hot paths: server-side binding and
prepared statements (psycopg 3 ``prepare_threshold``), and what a new connection costs.

Django's psycopg backend binds parameters on the client by default: every statement reaches
the server as a new text, so psycopg never prepares it. With ``server_side_binding`` the text
is the same for every call and psycopg prepares it after ``prepare_threshold`` executions
(parse and plan once per connection). This times, in the benchmark database, for each
configuration: an ingestion batch (``events_insert_rows``, 500 events, the statement with
eight CTEs), the realtime metrics (six small statements) and one analysis (a trends count
from the hourly rollup); and the time to open a connection (what a pool saves per request
that would otherwise connect; with ``CONN_MAX_AGE`` a process already reuses its own).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/db_options.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._figures import median_ms  # noqa: E402

CONFIGURATIONS = {
    "client-side binding (Django's default)": {},
    "server-side binding, prepare_threshold=None (never prepared)": {
        "server_side_binding": True,
        "prepare_threshold": None,
    },
    "server-side binding, prepare_threshold=5 (psycopg's default)": {
        "server_side_binding": True,
    },
    "server-side binding, prepare_threshold=0 (prepared at once)": {
        "server_side_binding": True,
        "prepare_threshold": 0,
    },
}


def measure(options: dict, repeat: int) -> dict[str, float]:
    """Run inside a child process: Django set up with ``options`` added to the database's."""
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["OPTIONS"].update(options)
    from django.core.management import call_command
    from django.db import connection

    from analytics.selectors.analysis import analysis_compute
    from analytics.selectors.metrics import realtime_metrics
    from analytics.services.events import events_insert_rows
    from analytics.services.events_validation import EventRow
    from synapscale.models import Workspace

    call_command("migrate", verbosity=0)
    workspace, _ = Workspace.objects.get_or_create(
        slug="bench-db-options", defaults={"name": "DB options benchmark"}
    )
    now = datetime.now(UTC)

    def batch():
        rows = [
            EventRow(
                event_id=uuid.uuid4(),
                event_type=("page_view", "click", "signup")[n % 3],
                user_id=None,
                distinct_id=f"person-{n % 50}",
                session_id="",
                properties_json='{"plan": "pro"}',
                ip=None,
                user_agent="",
                page_url="",
                referrer="",
                created_at=now - timedelta(seconds=n),
            )
            for n in range(500)
        ]
        events_insert_rows(workspace_id=workspace.id, rows=rows, received_at=now)

    trends = {
        "events": ["page_view", "click"],
        "interval": "day",
        "date_from": (now - timedelta(days=7)).date().isoformat(),
        "date_to": now.date().isoformat(),
    }
    results = {
        "ingest 500 events": median_ms(batch, max(repeat // 4, 10)),
        "realtime metrics": median_ms(lambda: realtime_metrics(workspace_id=workspace.id), repeat),
        "trends from the rollup": median_ms(
            lambda: analysis_compute(kind="trends", data=trends, workspace_id=workspace.id),
            repeat,
        ),
    }
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_event WHERE workspace_id = %s", [workspace.id])

    def connect():
        connection.close()
        connection.ensure_connection()

    results["open a connection"] = median_ms(connect, max(repeat // 4, 10))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(json.loads(args.child), args.repeat)))
        return

    from benchmarks._benchdb import use_bench_database

    url = use_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    print(f"benchmark database: {url.rsplit('/', 1)[-1]}; median of {args.repeat} (ms)")
    for label, options in CONFIGURATIONS.items():
        # One process per configuration: the options apply to new connections only.
        output = subprocess.run(
            [sys.executable, __file__, f"--repeat={args.repeat}", f"--child={json.dumps(options)}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        timings = json.loads(output.strip().splitlines()[-1])
        print(f"\n{label}")
        for name, value in timings.items():
            print(f"    {name:<26} {value:8.2f} ms")


if __name__ == "__main__":
    main()
