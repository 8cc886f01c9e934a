"""Benchmark event ingestion: the HTTP API with 1,000-event batches vs raw COPY.

Starts gunicorn (production settings, 2 sync workers) on 127.0.0.1 against a separate
benchmark database, posts pre-built batches of 1,000 events from concurrent clients and
measures accepted events per second. Then, in the same run, it COPYs the same rows into the
same table (same indexes) in one COPY and measures rows per second. The API also upserts
five rollups (hourly counts, daily active people, first seen, realtime minute counts and
people) in the same statement; COPY writes only the events.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/ingest.py [--batches 100] [--clients 2] [--workers 2]

The benchmark database is DATABASE_URL's name + ``_bench`` (or BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._benchdb import use_bench_database  # noqa: E402
from benchmarks._figures import Figures  # noqa: E402
from benchmarks._our_stack import BENCHMARK_CREDENTIALS_KEY  # noqa: E402

BENCH_URL = use_bench_database()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

import httpx  # noqa: E402
import orjson  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from synapscale.models import Workspace  # noqa: E402
from synapscale.services.workspaces import workspace_create  # noqa: E402

EVENT_TYPES = ["page_view", "click", "form_submit", "feature_used", "workflow_executed", "error"]
TABLES = (
    "analytics_event",
    "analytics_eventhourlycount",
    "analytics_dailyactiveperson",
    "analytics_person",
    "analytics_eventminutecount",
    "analytics_recentactiveperson",
)


def make_batches(count: int, size: int, rng: random.Random) -> list[list[dict]]:
    """Batches as a server-side SDK flushes them: 100 people's sessions of 10 events each.

    People are drawn from a pool of 20,000; each session spans about two minutes within the
    last hour, so a batch touches ~100 person-days and ~200 person-minutes.
    """
    now = datetime.now(UTC)
    per_session = 10
    batches = []
    for _ in range(count):
        batch = []
        for _ in range(max(1, size // per_session)):
            person = rng.randrange(20_000)
            session_start = now - timedelta(seconds=rng.randrange(120, 3600))
            plan = rng.choice(["free", "pro"])
            for step in range(per_session):
                batch.append(
                    {
                        "event_id": str(uuid.uuid4()),
                        "event_type": rng.choice(EVENT_TYPES),
                        "distinct_id": f"person-{person}",
                        "session_id": f"s-{person}-{session_start:%H%M}",
                        "properties": {"plan": plan, "value": rng.randrange(1000)},
                        "page_url": f"https://app.example/p/{rng.randrange(200)}",
                        "referrer": "https://search.example/",
                        "timestamp": (session_start + timedelta(seconds=12 * step)).isoformat(),
                    }
                )
        batches.append(batch[:size])
    return batches


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "benchmark-only",
        "CREDENTIALS_ENCRYPTION_KEYS": BENCHMARK_CREDENTIALS_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "METRICS_PUBLIC": "true",
        "RATE_LIMIT_INGEST": "100000000/m",
        "RATE_LIMIT_CAPTURE": "100000000/m",
        "WORKSPACE_QUOTA_EVENTS_PER_DAY": "1000000000",
        "CELERY_BROKER_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live/", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def truncate() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)}")


def post_batches(port: int, key: str, bodies: list[bytes], clients: int) -> tuple[int, float]:
    accepted = [0] * clients
    errors: list[str] = []

    def client(index: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            for body in bodies[index::clients]:
                response = http.post(
                    "/api/v1/analytics/events/",
                    content=body,
                    headers={"Content-Type": "application/json", "X-Ingestion-Key": key},
                )
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                accepted[index] += response.json()["accepted"]

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"ingestion failed: {errors[0]}")
    return sum(accepted), elapsed


def copy_rows(workspace_id: int, batches: list[list[dict]]) -> tuple[int, float]:
    """COPY the same events (fresh ids) into analytics_event in one COPY, one transaction."""
    received = datetime.now(UTC)
    rows = [
        (
            workspace_id,
            uuid.uuid4(),
            event["event_type"],
            event["distinct_id"],
            event["session_id"],
            orjson.dumps(event["properties"]).decode(),
            "203.0.113.0",
            "bench",
            event["page_url"],
            event["referrer"],
            datetime.fromisoformat(event["timestamp"]),
            received,
        )
        for batch in batches
        for event in batch
    ]
    columns = (
        "workspace_id, event_id, event_type, distinct_id, session_id, properties, ip, "
        "user_agent, page_url, referrer, created_at, received_at"
    )
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    with (
        raw.transaction(),
        raw.cursor() as cursor,
        cursor.copy(f"COPY analytics_event ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return len(rows), time.perf_counter() - started


def copy_rows_per_batch(workspace_id: int, batches: list[list[dict]]) -> tuple[int, float]:
    """COPY the same events batch by batch: one COPY and one transaction per 1,000 rows."""
    total, seconds = 0, 0.0
    for batch in batches:
        count, elapsed = copy_rows(workspace_id, [batch])
        total, seconds = total + count, seconds + elapsed
    return total, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--figures", type=Path, help="write the figures as JSON (run_all.py)")
    args = parser.parse_args()
    figures = Figures(
        "ingest", BENCH_URL, batches=args.batches, batch_size=args.batch_size, clients=args.clients
    )

    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.filter(slug="bench-ingest").first()
    if workspace is None:
        from django.contrib.auth import get_user_model

        owner, _ = get_user_model().objects.get_or_create(username="bench-ingest")
        workspace = workspace_create(name="Bench ingest", owner=owner, slug="bench-ingest")
    rng = random.Random(42)
    batches = make_batches(args.batches, args.batch_size, rng)
    bodies = [orjson.dumps({"batch": batch}) for batch in batches]
    warmup = [orjson.dumps({"batch": batch}) for batch in make_batches(4, args.batch_size, rng)]

    truncate()
    port = free_port()
    server = start_server(port, args.workers)
    try:
        post_batches(port, workspace.ingestion_key, warmup, args.clients)  # import, connect
        truncate()
        api_events, api_seconds = post_batches(port, workspace.ingestion_key, bodies, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    expected = args.batches * args.batch_size
    if api_events != expected:
        raise SystemExit(f"the API accepted {api_events} of {expected} events")

    truncate()
    copy_events, copy_seconds = copy_rows(workspace.id, batches)
    truncate()
    batch_copy_events, batch_copy_seconds = copy_rows_per_batch(workspace.id, batches)
    truncate()

    api_rate = api_events / api_seconds
    copy_rate = copy_events / copy_seconds
    print(f"database: {BENCH_URL.rsplit('/', 1)[-1]}  cores: {os.cpu_count()}")
    print(
        f"API:  {api_events} events in {args.batches} batches of {args.batch_size}, "
        f"{args.clients} clients, gunicorn {args.workers} workers: "
        f"{api_seconds:.2f} s = {api_rate:,.0f} events/s (with rollups)"
    )
    batch_copy_rate = batch_copy_events / batch_copy_seconds
    print(f"COPY: {copy_events} rows, one COPY: {copy_seconds:.2f} s = {copy_rate:,.0f} rows/s")
    print(
        f"COPY: {batch_copy_events} rows, one COPY per {args.batch_size}: "
        f"{batch_copy_seconds:.2f} s = {batch_copy_rate:,.0f} rows/s"
    )
    print(f"ratio API / one COPY: {api_rate / copy_rate:.0%}")
    print(f"ratio API / COPY per batch: {api_rate / batch_copy_rate:.0%}")
    figures.add("api_events_per_s", api_rate, "events/s", better="higher")
    figures.add("copy_rows_per_s", copy_rate, "rows/s", better="higher", calibrate="pg")
    figures.add(
        "copy_per_batch_rows_per_s", batch_copy_rate, "rows/s", better="higher", calibrate="pg"
    )
    figures.write(args.figures)


if __name__ == "__main__":
    main()
