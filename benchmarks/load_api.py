"""Headless load test of the API mix the frontend makes, on the demo data, for a bounded time.

Starts the production stack (gunicorn with config/gunicorn.py, 2 workers; one Celery worker
``-c 2``) on 127.0.0.1 against a database of its own (DATABASE_URL's name + ``_load``,
created, migrated and seeded with ``manage.py seed_demo`` once), logs in as the demo user
(``POST /api/v1/auth/token/``) and sends, from ``--users`` concurrent clients (asyncio with
httpx, no think time: each sends its next request when the last one is answered), a
weighted mix of what the frontend's pages call:

    list workflows 20, run a workflow 5, poll executions 15, marketplace search 15,
    event batch ingest (50 events) 10, dashboard 10, realtime metrics 10, trends analysis 5,
    whoami 10

for ``--duration`` seconds after a short warm-up. Prints requests/s, p50/p95/p99 per endpoint
and the errors (non-2xx answers and transport errors) with their status codes. The rate
limits are raised out of the way (as the other benchmarks do: this measures capacity, not
the limiter); ``--base-url`` targets a server already running on demo data instead.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/load_api.py --duration 60 --users 8

The load generator runs on the same machine as the server and takes CPU from it: the
figures are those of server and client together on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks import _our_stack as ours  # noqa: E402
from benchmarks._figures import Figures  # noqa: E402
from benchmarks._procs import Processes, run_bounded  # noqa: E402

DEMO_USERNAME, DEMO_PASSWORD, DEMO_WORKSPACE = "demo", "synapscale-demo", "demo"
RUN_WORKFLOW = "Welcome message"  # a demo workflow that needs no network
SEARCH_WORDS = ("email", "slack", "report", "crm", "welcome", "invoice")
EVENT_TYPES = ("page_view", "click", "feature_used", "form_submit")


@dataclass
class Session:
    """What the mix needs to know of the demo workspace, found through the API."""

    token: str
    ingestion_key: str
    workflow_id: int
    dashboard_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}", "X-Workspace": DEMO_WORKSPACE}


def _events(rng: random.Random, count: int = 50) -> dict:
    return {
        "batch": [
            {
                "event_type": rng.choice(EVENT_TYPES),
                "distinct_id": f"load-{rng.randrange(500)}",
                "event_id": str(uuid.uuid4()),
                "properties": {"page": rng.choice(("/", "/workflows", "/marketplace"))},
            }
            for _ in range(count)
        ]
    }


def mix(session: Session) -> dict[str, tuple]:
    """The frontend's calls: name -> (weight, method, path, body builder or None)."""
    workflow, dashboard = session.workflow_id, session.dashboard_id
    today = date.today()
    trends = {
        "events": ["page_view", "click"],
        "interval": "day",
        "date_from": (today - timedelta(days=30)).isoformat(),
        "date_to": today.isoformat(),
    }
    return {
        "GET /workflows/": (20, "GET", "/api/v1/workflows/", None),
        "POST /workflows/{id}/run/": (
            5,
            "POST",
            f"/api/v1/workflows/{workflow}/run/",
            lambda rng: {"input": {"name": f"load {rng.randrange(1000)}"}},
        ),
        "GET /executions/?workflow=": (
            15,
            "GET",
            f"/api/v1/executions/?workflow={workflow}",
            None,
        ),
        "GET /marketplace/templates/?q=": (
            15,
            "GET",
            "/api/v1/marketplace/templates/?q={word}",
            None,
        ),
        "POST /analytics/events/": (10, "POST", "/api/v1/analytics/events/", _events),
        "GET /analytics/dashboards/{id}/": (
            10,
            "GET",
            f"/api/v1/analytics/dashboards/{dashboard}/",
            None,
        ),
        "GET /analytics/metrics/realtime/": (
            10,
            "GET",
            "/api/v1/analytics/metrics/realtime/",
            None,
        ),
        "POST /analytics/analysis/trends/": (
            5,
            "POST",
            "/api/v1/analytics/analysis/trends/",
            lambda rng: trends,
        ),
        "GET /auth/me/": (10, "GET", "/api/v1/auth/me/", None),
    }


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    first_error: dict[str, str] = field(default_factory=dict)  # endpoint -> a body, to explain

    def record(self, name: str, seconds: float, status: int | str, body: str = "") -> None:
        self.latencies[name].append(seconds * 1000)
        if not isinstance(status, int) or status >= 400:
            self.errors[name][str(status)] += 1
            self.first_error.setdefault(name, f"{status}: {body[:300]}")


async def user(client, session, endpoints, rng, deadline, tally: Tally | None) -> None:
    names = list(endpoints)
    weights = [endpoints[name][0] for name in names]
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        _, method, path, body = endpoints[name]
        path = path.replace("{word}", rng.choice(SEARCH_WORDS))
        headers = dict(session.headers)
        if name == "POST /analytics/events/":  # the frontend's tracker sends the workspace key
            headers = {"X-Ingestion-Key": session.ingestion_key}
        started = time.perf_counter()
        try:
            response = await client.request(
                method, path, json=body(rng) if body else None, headers=headers
            )
            status: int | str = response.status_code
            text = response.text if status >= 400 else ""
        except httpx.HTTPError as exc:
            status, text = type(exc).__name__, str(exc)
        if tally is not None:
            tally.record(name, time.perf_counter() - started, status, text)


async def drive(base_url, session, *, users, seconds, seed, tally) -> float:
    """Run ``users`` clients for ``seconds``; return the elapsed wall time."""
    endpoints = mix(session)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(
                user(client, session, endpoints, random.Random(seed + n), deadline, tally)
                for n in range(users)
            )
        )
        return time.monotonic() - started


def log_in(base_url: str) -> Session:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        answer = client.post(
            "/api/v1/auth/token/", json={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
        )
        if answer.status_code not in (200, 201):
            raise SystemExit(
                f"log-in as {DEMO_USERNAME} answered {answer.status_code}: {answer.text}"
            )
        token = answer.json()["token"]
        headers = {"Authorization": f"Token {token}", "X-Workspace": DEMO_WORKSPACE}

        def first(path: str, **match) -> dict:
            results = client.get(path, headers=headers).raise_for_status().json()["results"]
            found = [r for r in results if all(r.get(k) == v for k, v in match.items())]
            if not found:
                raise SystemExit(f"{path}: nothing matching {match}: is the demo data seeded?")
            return found[0]

        workspace = first("/api/v1/workspaces/", slug=DEMO_WORKSPACE)
        return Session(
            token=token,
            ingestion_key=workspace["ingestion_key"],
            workflow_id=first("/api/v1/workflows/", name=RUN_WORKFLOW)["id"],
            dashboard_id=first("/api/v1/analytics/dashboards/")["id"],
        )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(tally: Tally, elapsed: float, figures: Figures) -> int:
    total = sum(len(samples) for samples in tally.latencies.values())
    errors = sum(sum(counter.values()) for counter in tally.errors.values())
    print(f"\n{total:,} requests in {elapsed:.1f} s: {total / elapsed:,.1f} req/s, {errors} errors")
    print(
        f"{'endpoint':<36} {'requests':>8} {'req/s':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors"
    )
    for name in sorted(tally.latencies):
        samples = tally.latencies[name]
        p50, p95, p99 = (percentile(samples, f) for f in (0.5, 0.95, 0.99))
        wrong = ", ".join(f"{code}: {n}" for code, n in sorted(tally.errors[name].items())) or "0"
        print(
            f"{name:<36} {len(samples):>8,} {len(samples) / elapsed:>7.1f} {p50:>8.1f} "
            f"{p95:>8.1f} {p99:>8.1f}  {wrong}"
        )
        figures.add(f"{name} p50", p50, "ms", better="lower")
        figures.add(f"{name} p95", p95, "ms", better="lower")
    figures.add("requests/s", total / elapsed, "1/s", better="higher")
    every = [sample for samples in tally.latencies.values() for sample in samples]
    figures.add("mean latency", statistics.fmean(every), "ms", better="lower")
    figures.details["errors"] = {name: dict(c) for name, c in tally.errors.items() if c}
    for name, text in sorted(tally.first_error.items()):
        print(f"  first error of {name}: {text}")
    return errors


def load_database_url() -> str:
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit("Set DATABASE_URL (see --help): the load test needs PostgreSQL.")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/') or 'synapscale'}_load"))


def start_stack(procs: Processes, port: int, run_dir: Path, *, private_redis: bool) -> str:
    """Migrate and seed the load database, start gunicorn and a worker; return the base URL."""
    os.environ["DATABASE_URL"] = load_database_url()
    redis_url = ours.start_private_redis(procs, port + 1, run_dir) if private_redis else None
    config = ours.StackConfig(port=port, run_dir=run_dir, redis_url=redis_url)
    ours.prepare_database(config)
    seeded = run_bounded(
        [ours.PYTHON, "manage.py", "seed_demo"],
        timeout=600,
        cwd=ROOT,
        # A benchmark database on loopback: the demo's published passwords are harmless here.
        env={**config.env, "SEED_DEMO_ALLOWED": "true"},
        capture_output=True,
    )
    if seeded.returncode != 0:
        raise SystemExit(f"seed_demo failed:\n{seeded.stdout[-2000:]}{seeded.stderr[-3000:]}")
    print(f"purged leftover tasks: {ours.purge_queues(config)}")
    ours.start_web(procs, config)
    ours.start_worker(procs, config)
    print(f"ready in {ours.wait_ready(procs, config):.1f} s; logs in {run_dir}", flush=True)
    return config.base_url


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of measured load")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of unrecorded load")
    parser.add_argument("--users", type=int, default=8, help="concurrent clients")
    parser.add_argument("--port", type=int, default=18865, help="gunicorn's port on 127.0.0.1")
    parser.add_argument("--base-url", help="use this running server (on demo data) instead")
    parser.add_argument(
        "--shared-redis",
        action="store_true",
        help="use REDIS_URL instead of a redis-server of the test's own (port --port + 1)",
    )
    parser.add_argument("--seed", type=int, default=7, help="the mix's random seed")
    parser.add_argument("--figures", type=Path, help="write the figures as JSON (run_all.py)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    procs = Processes()
    run_dir = Path(tempfile.mkdtemp(prefix="bench-load-api-"))
    try:
        base_url = args.base_url or start_stack(
            procs, args.port, run_dir, private_redis=not args.shared_redis
        )
        session = log_in(base_url)
        figures = Figures(
            "load_api", os.environ.get("DATABASE_URL"), users=args.users, duration=args.duration
        )
        asyncio.run(
            drive(base_url, session, users=args.users, seconds=args.warmup, seed=0, tally=None)
        )
        tally = Tally()
        elapsed = asyncio.run(
            drive(
                base_url,
                session,
                users=args.users,
                seconds=args.duration,
                seed=args.seed,
                tally=tally,
            )
        )
        errors = report(tally, elapsed, figures)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")
        figures.write(args.figures)
    finally:
        procs.stop_all()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
