"""Soak: events and workflow runs through HTTP while the stack is killed; nothing acked is lost.

Our stack as production runs it (gunicorn config/gunicorn.py with 2 workers, one Celery
worker `-c 2`, Celery beat for the sweepers, a private redis-server as cache and broker)
against the benchmark database. Client threads send batches of events (each with its own
`event_id`) to POST /api/v1/analytics/events/ and runs to POST /api/v1/workflows/{id}/run/
(each logical run with its own Idempotency-Key), retrying connection errors, 5xx and 429
with the same ids until a 2xx. Meanwhile, every --chaos-every seconds, in turn: SIGKILL of a
gunicorn worker (the master forks a new one); of a Celery pool child; of the Celery main
process (its pool children die with it, as in a container) and a restart.

The workflow is set -> http_request -> set; the request goes to a sink in this process
that records each call's Idempotency-Key, so a side effect done twice shows outside the
database. At the end, after the executions drained (bounded), everything is counted from
PostgreSQL: events acknowledged / stored / doubled / lost, executions acknowledged /
finished / stuck / duplicated, node runs repeated. Exit status 1 if anything acknowledged
was lost, doubled or stuck.

    .venv/bin/python benchmarks/soak.py --quick
    .venv/bin/python benchmarks/soak.py --events 200000 --executions 2000 --json /tmp/soak.json
    .venv/bin/python benchmarks/soak.py        # 1,000,000 events and 10,000 runs

Services as benchmarks/executions.py: DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/synapscale_bench, created and migrated), a private
redis-server on --port + 1 (or REDIS_URL with --shared-redis). Each run registers a fresh
user and workspace, so the counts are exact whatever the database already holds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks import _our_stack as ours  # noqa: E402
from benchmarks._http_load import http_json  # noqa: E402
from benchmarks._procs import Processes, run_bounded  # noqa: E402
from benchmarks._soak_chaos import Chaos, Sink, send_until_acked  # noqa: E402
from benchmarks._soak_report import (  # noqa: E402
    count_events,
    count_executions,
    print_report,
    recovery_rows,
)

QUICK = {"events": 20_000, "executions": 300, "chaos_every": 1.5}
EVENT_TYPE = "soak_event"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--events", type=int, default=1_000_000)
    add("--executions", type=int, default=10_000, help="logical runs (Idempotency-Keys)")
    add("--batch-size", type=int, default=500, help="events per POST")
    add("--clients", type=int, default=4, help="client threads")
    add("--duration", type=float, default=1800, help="cap on the load phase, seconds")
    add("--chaos-every", type=float, default=15.0, help="seconds between injuries")
    add("--no-chaos", action="store_true", help="the same load without injuries")
    add("--tries", type=int, default=30, help="tries per request before giving up")
    add("--retry-cap", type=float, default=5.0, help="longest wait between tries (Retry-After)")
    add("--drain-timeout", type=float, default=600, help="max seconds for executions to end")
    add("--port", type=int, default=18865, help="gunicorn's port; the private Redis on +1")
    add("--shared-redis", action="store_true", help="REDIS_URL instead of a private Redis")
    add("--recreate-db", action="store_true", help="drop and recreate the *_bench database")
    add("--quick", action="store_true", help="20,000 events, 300 runs, an injury every 1.5 s")
    add("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    if args.quick:
        parser.set_defaults(**QUICK)
        args = parser.parse_args()
    return args


def soak_workflow(sink_url: str) -> dict:
    return {
        "name": "soak-set-http-set",
        "description": "benchmarks/soak.py: set -> http_request (a side effect) -> set",
        "definition": {
            "nodes": [
                {
                    "id": "prepare",
                    "type": "set",
                    "params": {"fields": {"key": {"expr": "input.key"}}},
                },
                {
                    "id": "effect",
                    "type": "http_request",
                    "params": {"method": "POST", "url": sink_url, "json_expr": "nodes.prepare"},
                },
                {
                    "id": "done",
                    "type": "set",
                    "params": {"fields": {"key": {"expr": "nodes.prepare.key"}, "ok": True}},
                },
            ],
            "edges": [{"from": "prepare", "to": "effect"}, {"from": "effect", "to": "done"}],
        },
    }


class Jobs:
    """Hands out event batches and runs so that both advance at the same pace."""

    def __init__(self, batches: int, runs: int):
        self.total = {"events": batches, "run": runs}
        self.taken = {"events": 0, "run": 0}
        self.lock = threading.Lock()

    def next(self) -> tuple[str, int] | None:
        with self.lock:
            open_ = [k for k in self.total if self.taken[k] < self.total[k]]
            if not open_:
                return None
            kind = min(open_, key=lambda k: self.taken[k] / self.total[k])
            self.taken[kind] += 1
            return kind, self.taken[kind] - 1


class Ledger:
    """What the clients sent and what the server acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: dict[int, dict] = {}  # batch -> size, acked, duplicates, rejected
        self.runs: dict[int, dict] = {}  # run -> acked, execution id
        self.ack_times: list[float] = []
        self.codes: dict[str, int] = {}
        self.tries = {"events": 0, "run": 0}

    def record(self, kind: str, index: int, outcome, entry: dict) -> None:
        with self.lock:
            (self.batches if kind == "events" else self.runs)[index] = entry
            self.tries[kind] += outcome.tries
            for code, n in outcome.codes.items():
                self.codes[str(code)] = self.codes.get(str(code), 0) + n
            if outcome.acked:
                self.ack_times.append(time.time())


class Soak:
    def __init__(self, args: argparse.Namespace, run_dir: Path):
        self.args, self.run_dir = args, run_dir
        self.procs = Processes()
        self.nonce = uuid.uuid4().int >> 65  # the high 64 bits of every event id
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.setup: dict = {"run_dir": str(run_dir)}
        self.sink = Sink()
        self.db = self.chaos_db = None

    # -- the stack ----------------------------------------------------------------------
    def start(self) -> None:
        args = self.args
        redis_url = None
        if not args.shared_redis:
            redis_url = ours.start_private_redis(self.procs, args.port + 1, self.run_dir)
        self.config = config = ours.StackConfig(
            port=args.port, redis_url=redis_url, run_dir=self.run_dir
        )
        # The workflow's side effect goes to the sink on 127.0.0.1.
        config.env["EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS"] = "false"
        ours.worker_class_problem(config)
        if http_json("GET", f"{config.base_url}/health/live/", timeout=1)[0] != 0:
            raise SystemExit(f"port {args.port} is taken: pick another with --port")
        ours.prepare_database(config, recreate=args.recreate_db)
        self.setup["purge"] = ours.purge_queues(config)
        synced = run_bounded(
            [ours.PYTHON, "manage.py", "sync_schedules"],
            timeout=120, cwd=ROOT, env=config.env, capture_output=True,
        )  # fmt: skip
        self.setup["sync_schedules"] = (synced.stdout or synced.stderr).strip()[-300:]
        ours.start_web(self.procs, config)
        ours.start_worker(self.procs, config)
        beat = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "beat", "-l", "INFO"]
        beat += ["--pidfile", str(self.run_dir / "beat.pid")]
        self.procs.start("beat", beat, env=config.env, cwd=ROOT, log=self.run_dir / "beat.log")
        self.setup["ready_s"] = round(ours.wait_ready(self.procs, config), 1)
        self.account = ours.create_account(config)
        status, spaces, _ = http_json(
            "GET", f"{config.base_url}/api/v1/workspaces/", headers=self.account.headers
        )
        results = spaces.get("results", spaces) if isinstance(spaces, dict) else spaces
        if status != 200 or not results:
            raise SystemExit(f"GET /api/v1/workspaces/ answered {status}: {spaces}")
        self.workspace_id, self.ingestion_key = results[0]["id"], results[0]["ingestion_key"]
        status, workflow, _ = http_json(
            "POST",
            f"{config.base_url}/api/v1/workflows/",
            soak_workflow(self.sink.url),
            self.account.headers,
        )
        if status != 201:
            raise SystemExit(f"POST /workflows/ answered {status}: {workflow}")
        self.workflow_id = workflow["id"]
        self.db = psycopg.connect(config.database_url, autocommit=True)
        self.chaos_db = psycopg.connect(config.database_url, autocommit=True)

    def restart_worker(self) -> None:
        self.procs.stop("worker", timeout=5)
        ours.start_worker(self.procs, self.config)

    def running_ids(self) -> list[int]:
        rows = self.chaos_db.execute(
            "SELECT id FROM executions_execution WHERE workflow_id = %s AND status = 'running'",
            [self.workflow_id],
        ).fetchall()
        return [row[0] for row in rows]

    def worker_ready_lines(self) -> int:
        return (self.run_dir / "worker.log").read_text(errors="replace").count(" ready.")

    # -- the load -----------------------------------------------------------------------
    def batch_body(self, index: int) -> tuple[bytes, int]:
        size = self.args.batch_size
        first, last = index * size, min((index + 1) * size, self.args.events)
        batch = [
            {
                "event_id": str(uuid.UUID(int=(self.nonce << 64) | seq)),
                "event_type": EVENT_TYPE,
                "distinct_id": f"p{seq % 997}",
                "properties": {"seq": seq},
            }
            for seq in range(first, last)
        ]
        return json.dumps({"batch": batch}).encode(), last - first

    def run_key(self, index: int) -> str:
        return f"soak-{self.nonce:x}-{index}"

    def client(self, jobs: Jobs, deadline: float) -> None:
        args, base = self.args, self.config.base_url
        events_url = f"{base}/api/v1/analytics/events/"
        soak_account = dataclasses.replace(self.account, workflow_id=self.workflow_id)
        run_url = ours.run_url(self.config, soak_account, wait=None)
        send = {"tries": args.tries, "retry_cap": args.retry_cap, "stop": self.stop}
        while not self.stop.is_set() and time.monotonic() < deadline:
            job = jobs.next()
            if job is None:
                return
            kind, index = job
            if kind == "events":
                body, size = self.batch_body(index)
                headers = {"X-Ingestion-Key": self.ingestion_key}
                outcome = send_until_acked(events_url, body, headers, timeout=60, **send)
                data = outcome.data if isinstance(outcome.data, dict) else {}
                entry = {
                    "size": size,
                    "acked": outcome.acked,
                    "duplicates": data.get("duplicates", 0) if outcome.acked else 0,
                    "rejected": len(data.get("rejected") or []) if outcome.acked else 0,
                }
            else:
                body = json.dumps({"input": {"key": self.run_key(index)}}).encode()
                headers = {**self.account.headers, "Idempotency-Key": self.run_key(index)}
                outcome = send_until_acked(run_url, body, headers, timeout=30, **send)
                data = outcome.data if isinstance(outcome.data, dict) else {}
                entry = {"acked": outcome.acked, "id": data.get("id") if outcome.acked else None}
            if not outcome.acked:
                entry["last_status"] = outcome.status
            self.ledger.record(kind, index, outcome, entry)

    def load(self) -> dict:
        args = self.args
        batches = -(-args.events // args.batch_size)
        jobs = Jobs(batches, args.executions)
        done = threading.Event()
        chaos = Chaos(
            every=args.chaos_every,
            done=done,
            web_pid=lambda: self.procs.get("web").pid,
            worker_pid=lambda: self.procs.get("worker").pid,
            restart_worker=self.restart_worker,
            running=self.running_ids,
            ready_log=self.worker_ready_lines,
        )
        started = time.monotonic()
        deadline = started + args.duration
        threads = [
            threading.Thread(target=self.client, args=(jobs, deadline), daemon=True)
            for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        if not args.no_chaos:
            chaos.start()
        for thread in threads:
            thread.join()
        load_s = time.monotonic() - started
        done.set()
        if chaos.is_alive():
            chaos.join(timeout=180)  # a restart in progress finishes first
        self.chaos = chaos
        return {"load_s": round(load_s, 1), "cut_by_duration": time.monotonic() >= deadline}

    def drain(self) -> dict:
        started, timeout = time.monotonic(), self.args.drain_timeout
        sql = (
            "SELECT count(*) FROM executions_execution WHERE workflow_id = %s "
            "AND finished_at IS NULL"
        )
        left = None
        while time.monotonic() - started < timeout and not self.stop.is_set():
            left = self.db.execute(sql, [self.workflow_id]).fetchone()[0]
            if left == 0:
                break
            time.sleep(1)
        return {"drain_s": round(time.monotonic() - started, 1), "unfinished_after": left}

    def run(self) -> dict:
        self.start()
        logs = ours.LogWatch(self.run_dir)
        print(
            f"stack ready in {self.setup['ready_s']} s; workspace {self.workspace_id}, "
            f"workflow {self.workflow_id}; logs in {self.run_dir}",
            flush=True,
        )
        load = self.load()
        print(f"load done in {load['load_s']} s; waiting for the executions", flush=True)
        drain = self.drain()
        time.sleep(1)  # the sink's last calls
        ledger = self.ledger
        size = self.args.batch_size
        events = count_events(self.db, self.workspace_id, EVENT_TYPE, size, ledger.batches)
        executions = count_executions(self.db, self.workflow_id, ledger.runs, self.run_key)
        return {
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(self.args).items()},
            "setup": self.setup,
            "load": load,
            "drain": drain,
            "ledger": {"tries": self.ledger.tries, "codes": self.ledger.codes},
            "events": events,
            "executions": executions,
            "sink": self.sink.summary(
                {self.run_key(i) for i, r in self.ledger.runs.items() if r["acked"]}
            ),
            "ledger_batches": self.ledger.batches,
            "ledger_runs": self.ledger.runs,
            "injuries": recovery_rows(
                self.db, self.workflow_id, self.chaos.injuries, self.ledger.ack_times
            ),
            "chaos_errors": self.chaos.errors,
            "server_log": logs.read(),
        }

    def close(self) -> None:
        self.stop.set()
        self.procs.stop_all()
        self.sink.close()
        for conn in (self.db, self.chaos_db):
            if conn is not None:
                conn.close()


def main() -> None:
    args = parse_args()

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    run_dir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    soak = Soak(args, run_dir)
    try:
        result = soak.run()
    except KeyboardInterrupt:
        print("interrupted: stopping everything this run started", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        soak.close()
    problems = print_report(result)
    if args.json:
        result.pop("ledger_runs")
        result.pop("ledger_batches")
        args.json.write_text(json.dumps({**result, "problems": problems}, indent=1, default=str))
        print(f"figures written to {args.json}")
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
