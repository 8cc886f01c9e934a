"""Benchmark a worker under workflows built to blow up its memory, beside other work.

One Celery worker (`-c 2`, prefork, production settings) runs, from workspace A, workflows
that fetch a 64 MB body from a local server and a chain of `transform` nodes that doubles
its data at each node (64 KB -> 64 MB over 10 nodes), while workspace B runs ordinary
3-node executions. Reported: the worker's peak RSS and PSS (its process tree), how each kind
of execution ended, and how long B's executions took. `--caps off` raises the limits of
docs/executions.md ("What one execution may hold") to 1 GiB, to show what they prevent.

    .venv/bin/python benchmarks/bounded_worker.py
    .venv/bin/python benchmarks/bounded_worker.py --caps off

Services: DATABASE_URL's database with a `_bench` suffix (default
postgres://postgres@127.0.0.1:5432/synapscale_bench, created and migrated), REDIS_URL
(default redis://127.0.0.1:6379/6) as cache and broker.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _our_stack as ours  # noqa: E402
from benchmarks._benchdb import use_bench_database  # noqa: E402
from benchmarks._procs import MemorySampler, Processes, run_bounded, tree, wait_until  # noqa: E402

BIG_BODY = 64 * 1024 * 1024
GIB = str(1024**3)


class _BigBody(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()  # no Content-Length: the client cannot tell the size in advance
        chunk = b"x" * 65536
        try:
            for _ in range(BIG_BODY // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass  # the node stopped reading at its cap

    def log_message(self, *args):
        pass


def stack(caps: str, run_dir: Path) -> ours.StackConfig:
    """The production settings of the executions benchmark, plus this benchmark's own."""
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synapscale")
    use_bench_database()
    config = ours.StackConfig(
        port=0, redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"), run_dir=run_dir
    )
    config.env["EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS"] = "false"  # the big body is local
    config.env["EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE"] = "2"
    if caps == "off":
        for name in (
            "EXECUTIONS_HTTP_MAX_RESPONSE_BYTES",
            "EXECUTIONS_MAX_NODE_OUTPUT_BYTES",
            "EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES",
        ):
            config.env[name] = GIB
    return config


def definitions(big_url: str) -> dict[str, dict]:
    chain = [{"id": "n0", "type": "transform", "params": {"expr": "input.s"}}]
    for index in range(1, 11):
        expr = f"[nodes.n{index - 1}, nodes.n{index - 1}]"
        chain.append({"id": f"n{index}", "type": "transform", "params": {"expr": expr}})
    edges = [{"from": f"n{i - 1}", "to": f"n{i}"} for i in range(1, 11)]
    return {
        "big_response": {
            "nodes": [{"id": "fetch", "type": "http_request", "params": {"url": big_url}}]
        },
        "doubling": {"nodes": chain, "edges": edges},
        "ordinary": {
            "nodes": [
                {"id": "a", "type": "set", "params": {"fields": {"n": {"expr": "input.n"}}}},
                {"id": "b", "type": "condition", "params": {"expr": "nodes.a.n > `5`"}},
                {"id": "c", "type": "set", "params": {"fields": {"ok": True}}},
            ],
            "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c", "when": "true"}],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caps", choices=["default", "off"], default="default")
    parser.add_argument("--hostile", type=int, default=6, help="executions of each hostile kind")
    parser.add_argument("--ordinary", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="bench-bounded-"))
    config = stack(args.caps, run_dir)
    os.environ.update(config.env)
    migrate = run_bounded([ours.PYTHON, "manage.py", "migrate", "--noinput", "-v0"], timeout=600,
                          cwd=ROOT, env=config.env, capture_output=True)  # fmt: skip
    if migrate.returncode:
        raise SystemExit(f"migrate failed:\n{migrate.stdout[-2000:]}{migrate.stderr[-2000:]}")
    import django

    django.setup()
    from executions.choices import ExecutionStatus
    from executions.models import Execution
    from executions.services.executions import execution_start
    from executions.services.workflows import workflow_create
    from synapscale.services.accounts import user_register

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BigBody)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    big_url = f"http://127.0.0.1:{server.server_address[1]}/big"
    stamp = secrets.token_hex(4)
    owners = {
        side: user_register(
            username=f"bounded-{side}-{stamp}",
            email=f"{side}-{stamp}@bench.invalid",
            password=secrets.token_hex(16),
        )
        for side in ("a", "b")
    }
    workflows = {}
    for name, definition in definitions(big_url).items():
        registration = owners["b" if name == "ordinary" else "a"]
        workflows[name] = workflow_create(
            workspace=registration.workspace, user=registration.user, name=name,
            definition=definition,
        )  # fmt: skip
    procs = Processes()
    ours.start_worker(procs, config)  # -c 2, prefork, as the executions benchmark
    worker = procs.get("worker")
    try:
        time.sleep(4)
        roles = {"main": lambda: [worker.pid], "pool": lambda: tree(worker.pid)[1:]}
        idle = MemorySampler(roles)
        idle.sample()
        started = time.monotonic()
        ids: dict[str, list[int]] = {name: [] for name in workflows}
        with MemorySampler(roles, interval=0.1) as sampler:
            for index in range(max(args.ordinary, args.hostile * 2)):
                for name in ("big_response", "doubling"):
                    if index < args.hostile:
                        run = execution_start(
                            workflow=workflows[name], user=None, input={"s": "x" * 65536}
                        )
                        ids[name].append(run.id)
                if index < args.ordinary:
                    run = execution_start(workflow=workflows["ordinary"], user=None,
                                          input={"n": 7})  # fmt: skip
                    ids["ordinary"].append(run.id)
            every = [i for group in ids.values() for i in group]
            finished = ExecutionStatus.finished()
            done = wait_until(
                lambda: (
                    Execution.objects.filter(id__in=every, status__in=finished).count()
                    == len(every)
                ),
                timeout=args.timeout,
                interval=0.5,
            )
        elapsed = time.monotonic() - started
        worker_alive = worker.poll() is None
    finally:
        procs.stop_all()
        server.shutdown()
    report = {"caps": args.caps, "all_finished": done, "seconds": round(elapsed, 1),
              "worker_alive_at_end": worker_alive, "memory_idle": idle.peak.as_dict(),
              "memory": sampler.peak.as_dict(),
              "by_workflow": {}}  # fmt: skip
    for name, group in ids.items():
        rows = Execution.objects.filter(id__in=group)
        statuses: dict[str, int] = {}
        errors: dict[str, int] = {}
        for status, error in rows.values_list("status", "error"):
            statuses[status] = statuses.get(status, 0) + 1
            if error:
                errors[error.get("type")] = errors.get(error.get("type"), 0) + 1
        durations = sorted(d for d in rows.values_list("duration_ms", flat=True) if d is not None)
        report["by_workflow"][name] = {
            "count": len(group),
            "statuses": statuses,
            "error_types": errors,
            "duration_ms_p50": statistics.median(durations) if durations else None,
        }
    print(json.dumps(report, indent=2))
    print(f"worker log: {run_dir / 'worker.log'}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
