"""Benchmark the execution engine: one real Celery worker, a 3-node workflow.

Measures executions per second (a burst of submissions drained by one worker) and
submit-to-finish latency p50/p95, both under the burst (includes queueing) and for
executions submitted one at a time (the engine's own overhead).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/executions.py [--burst 200] [--sequential 30]

It migrates the database, creates a `bench-executions` workspace (deleted at the end),
starts `celery worker -c 1` as a subprocess and stops it when done.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from executions.models import Execution, Workflow  # noqa: E402
from executions.services.executions import execution_start  # noqa: E402
from executions.services.workflows import workflow_create  # noqa: E402
from synapscale.models import Workspace  # noqa: E402
from synapscale.services.workspaces import workspace_create  # noqa: E402

SLUG = "bench-executions"
DEFINITION = {
    "nodes": [
        {"id": "greet", "type": "set", "params": {"fields": {"name": {"expr": "input.name"}}}},
        {"id": "upper", "type": "transform", "params": {"expr": "nodes.greet.name"}},
        {"id": "check", "type": "condition", "params": {"expr": "nodes.upper"}},
    ],
    "edges": [{"from": "greet", "to": "upper"}, {"from": "upper", "to": "check"}],
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * fraction
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def setup_workflow() -> tuple[Workflow, object]:
    user, _ = get_user_model().objects.get_or_create(username="bench-executions")
    Workspace.objects.filter(slug=SLUG).delete()
    workspace = workspace_create(name="Bench executions", owner=user, slug=SLUG)
    workflow = workflow_create(workspace=workspace, user=user, name="bench", definition=DEFINITION)
    return workflow, user


def start_worker() -> subprocess.Popen:
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "default,high",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if current_app.control.ping(timeout=0.5):
            return worker
        if worker.poll() is not None:
            raise SystemExit("the worker exited during start-up")
    worker.terminate()
    raise SystemExit("the worker did not answer a ping within 60 s")


def wait_finished(ids: list[int], timeout: float) -> list[Execution]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished = list(Execution.objects.filter(id__in=ids, finished_at__isnull=False))
        if len(finished) == len(ids):
            return finished
        time.sleep(0.05)
    raise SystemExit(f"only {len(finished)}/{len(ids)} executions finished in {timeout} s")


def latencies_ms(executions: list[Execution]) -> list[float]:
    return [(e.finished_at - e.created_at).total_seconds() * 1000 for e in executions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=200, help="executions submitted at once")
    parser.add_argument("--sequential", type=int, default=30, help="executions one at a time")
    args = parser.parse_args()

    call_command("migrate", verbosity=0, interactive=False)
    current_app.control.purge()
    workflow, user = setup_workflow()
    worker = start_worker()
    try:
        warm = [
            execution_start(workflow=workflow, user=user, input={"name": "w"}).id for _ in range(5)
        ]
        wait_finished(warm, timeout=60)

        sequential = []
        for index in range(args.sequential):
            execution = execution_start(workflow=workflow, user=user, input={"name": f"s{index}"})
            sequential.extend(wait_finished([execution.id], timeout=30))

        started = time.monotonic()
        burst_ids = [
            execution_start(workflow=workflow, user=user, input={"name": f"b{index}"}).id
            for index in range(args.burst)
        ]
        submitted = time.monotonic() - started
        burst = wait_finished(burst_ids, timeout=600)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    failures = [e.id for e in [*sequential, *burst] if e.status != "succeeded"]
    burst_latency, sequential_latency = latencies_ms(burst), latencies_ms(sequential)
    print("executions benchmark: 3-node workflow (set -> transform -> condition), 1 worker, -c 1")
    print(f"  burst: {args.burst} submitted in {submitted:.2f} s, all finished in {elapsed:.2f} s")
    print(f"  throughput: {args.burst / elapsed:.1f} executions/s")
    print(
        f"  burst submit-to-finish latency: p50 {percentile(burst_latency, 0.5):.0f} ms, "
        f"p95 {percentile(burst_latency, 0.95):.0f} ms"
    )
    print(
        f"  one-at-a-time submit-to-finish latency ({args.sequential} runs): "
        f"p50 {percentile(sequential_latency, 0.5):.0f} ms, "
        f"p95 {percentile(sequential_latency, 0.95):.0f} ms, "
        f"mean {statistics.mean(sequential_latency):.0f} ms"
    )
    print(f"  failed executions: {len(failures)}")
    Workspace.objects.filter(slug=SLUG).delete()
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
