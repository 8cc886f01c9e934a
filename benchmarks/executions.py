"""Benchmark executions through the HTTP API, side by side with n8n, under the same wrk load.

Our stack runs as in production: `gunicorn config.wsgi -c config/gunicorn.py` with 2 workers
(WEB_CONCURRENCY=2) and one Celery worker (`-Q default,high -c 2`), production settings
(plain HTTP on 127.0.0.1: DJANGO_SECURE_SSL_REDIRECT=false, ALLOWED_HOSTS), against
PostgreSQL and Redis (and RabbitMQ with `--broker amqp`). `--web-worker-class config` (the
default) keeps config/gunicorn.py's choice: gthread, 8 threads, preload_app, gc.freeze();
`sync`, `gthread` or uvicorn.workers.UvicornWorker (config.asgi) override it, `--threads`
the thread count (`sync` gets 1: gunicorn runs sync with threads > 1 as gthread). A user,
token, workspace and a 3-node workflow (set -> condition -> set) are created through the API.

- sync:  POST /api/v1/workflows/{id}/run/?wait=10: each 200 is one execution finished
  (a worker's thread waits for it); a 202 is one still running when the wait ran out;
- async: POST /api/v1/workflows/{id}/run/: 202 at once. accepted/s is the HTTP side,
  completed/s is counted in the database (finished inside the load window), with the queue
  left when the load stopped, drained before the next measurement.
- webhook: POST /hooks/<id>/<token> of a `last_node` webhook trigger of the same graph, with
  n8n's body: each 200 is one finished execution, the way n8n's webhook is driven.

`--peer n8n` runs the same load against n8n 2.8.4 (installed from npm into --peer-dir),
alternating the two systems per client count, one system under load at a time. Its
webhook answers after the last node: each 2xx is one finished execution.

    make install   # gunicorn and uvicorn (requirements/dev.txt) into .venv
    .venv/bin/python benchmarks/executions.py --clients 1 8 32 --duration 20 --peer n8n \
        --private-redis --json /tmp/executions.json
    .venv/bin/python benchmarks/executions.py --clients 8 --web-worker-class sync --pool threads

Services (environment, else these defaults): DATABASE_URL
postgres://postgres@127.0.0.1:5432/synapscale_bench (created if missing, migrated),
REDIS_URL redis://127.0.0.1:6379/5, CELERY_BROKER_URL = REDIS_URL (or
amqp://guest:guest@127.0.0.1:5672// with --broker amqp), DJANGO_SECRET_KEY (random).
Needs Debian's wrk (`apt-get install wrk`); its --timeout is ?wait= + 5 s.

Redis commands per execution come from INFO (server-wide, every database): `--private-redis`
starts a redis-server of the benchmark's own (port --port + 1) so others' traffic is left
out. With Redis as the Celery broker they include the broker's own commands (the worker's
polling and acknowledgements), and both INFO's total and commandstats count the commands a
Lua script runs (EVAL's redis.call) besides the EVAL itself; `--broker amqp` leaves the
application's own Redis commands (result hand-off, cache, rate limits).

The system not under load stays up by default (`--idle keep`): idle, n8n used about 0.3 %
of a core and ours 0.15 % (measured on the 2-core machine), while a restart costs n8n 10-20 s
before its first webhook answers, and both a warm-up; `--idle stop` stops it instead.
Traffic goes to 127.0.0.1 only; everything is bounded in time, and every process the script
starts (each in its own process group) is stopped at the end, also on Ctrl-C and errors.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _our_stack as ours  # noqa: E402
from benchmarks import _peer_n8n as n8n  # noqa: E402
from benchmarks._figures import Figures  # noqa: E402
from benchmarks._http_load import http_json, require_wrk, run_wrk, write_script  # noqa: E402
from benchmarks._probes import PgProbe, RedisProbe, sql_statements  # noqa: E402
from benchmarks._procs import (  # noqa: E402
    MemorySampler,
    Processes,
    cpu_seconds,
    machine_busy,
    tree,
)
from benchmarks._report import (  # noqa: E402
    add_figures,
    idle_costs,
    print_measurement,
    print_summary,
    summarize,
)

# sync: run/?wait=; async: the plain 202; webhook: a `last_node` webhook trigger, as n8n's.
MODES = ("sync", "async", "webhook")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--clients", type=int, nargs="+", default=[1, 8, 32], help="wrk connections")
    add("--duration", type=int, default=20, help="seconds of load per measurement")
    add("--rounds", type=int, default=2, help="measurements per system and client count")
    add("--modes", nargs="+", choices=MODES, default=list(MODES))
    add("--wait", type=int, default=10, help="?wait= of the sync mode (seconds)")
    add(
        "--web-worker-class",
        default="config",
        help=f"config (config/gunicorn.py's choice), sync, gthread or {ours.UVICORN_WORKER}",
    )
    add("--threads", type=int, help="threads per gunicorn worker; default: the config's")
    add("--pool", choices=["prefork", "threads"], default="prefork", help="Celery pool")
    add("--broker", choices=["redis", "amqp"], default="redis")
    add("--private-redis", action="store_true", help="a redis-server of our own: exact counts")
    add("--port", type=int, default=18765, help="our gunicorn's port on 127.0.0.1")
    add("--peer", choices=["n8n"], help="also measure n8n 2.8.4")
    add("--peer-dir", type=Path, default=Path("/work/peer-n8n"))
    add("--peer-workflow", type=Path, default=n8n.SHARED / "wfA.json")
    add("--idle", choices=["keep", "stop"], default="keep", help="the system not under load")
    add("--drain-timeout", type=float, default=600, help="max seconds to drain a backlog")
    add("--warmup", type=int, default=3, help="seconds of unrecorded load after a start")
    add("--recreate-db", action="store_true", help="drop and recreate the *_bench database")
    add("--json", type=Path, help="write every figure to this file")
    add("--figures", type=Path, help="write the summary's figures as JSON (run_all.py)")
    return parser.parse_args()


class Bench:
    def __init__(self, args: argparse.Namespace, run_dir: Path):
        self.args, self.run_dir = args, run_dir
        self.procs = Processes()
        self.results: list[dict] = []
        self.setup: dict = {"run_dir": str(run_dir)}
        self.config: ours.StackConfig | None = None
        self.account: ours.Account | None = None
        self.pg = self.redis = None
        self.sqlite: n8n.SqliteProbe | None = None

    # -- our stack --------------------------------------------------------------------------
    def prepare_ours(self) -> str | None:
        """Install, configure, migrate; return why our stack cannot run, or None."""
        args = self.args
        redis_url = None
        if args.private_redis:
            redis_url = ours.start_private_redis(self.procs, args.port + 1, self.run_dir)
        self.config = config = ours.StackConfig(
            port=args.port,
            worker_class=args.web_worker_class,
            threads=args.threads,
            pool=args.pool,
            broker=args.broker,
            redis_url=redis_url,
            run_dir=self.run_dir,
        )
        problem = ours.worker_class_problem(config)
        if problem:
            return problem
        started = time.monotonic()
        ours.prepare_database(config, recreate=args.recreate_db)
        self.setup["migrate_s"] = round(time.monotonic() - started, 1)
        self.setup["purge"] = ours.purge_queues(config)
        self.setup["services"] = {
            "database": config.database_url,
            "redis": config.env["REDIS_URL"],
            "broker": config.env["CELERY_BROKER_URL"],
        }
        self.pg = PgProbe(config.database_url)
        self.redis = RedisProbe(config.env["REDIS_URL"])
        return None

    def start_ours(self) -> None:
        if self.procs.get("web"):
            return
        if http_json("GET", f"{self.config.base_url}/health/live/", timeout=1)[0] != 0:
            raise SystemExit(f"port {self.args.port} is taken: pick another with --port")
        started = time.monotonic()
        ours.start_web(self.procs, self.config)
        ours.start_worker(self.procs, self.config)
        ours.wait_ready(self.procs, self.config)
        self.setup["gunicorn_worker"] = ours.effective_worker(self.config)
        if self.account is None:
            self.account = ours.create_account(self.config)
            self.setup["async_probe"] = ours.probe_run(self.config, self.account, wait=None)
            probe = ours.probe_run(self.config, self.account, wait=self.args.wait)
            self.setup["sync_probe"] = probe
        self.drain()
        self.setup.setdefault("ours_start_s", []).append(round(time.monotonic() - started, 1))
        self.warm_up("ours")

    def stop_ours(self) -> None:
        self.procs.stop("worker")
        self.procs.stop("web")

    def our_pids(self) -> list[int]:
        return [p for name in ("web", "worker") for p in tree(self._pid(name))]

    def _pid(self, name: str) -> int | None:
        proc = self.procs.get(name)
        return proc.pid if proc else None

    def workflow_id(self, mode: str) -> int:
        return self.account.hook_workflow_id if mode == "webhook" else self.account.workflow_id

    def drain(self, mode: str = "async") -> dict:
        """Wait for the workflow's executions to finish (see PgProbe.drain)."""
        if self.account is None:
            return {}
        return self.pg.drain(self.workflow_id(mode), timeout=self.args.drain_timeout)

    def script(self, system: str, mode: str) -> Path:
        if system == "n8n" or mode == "webhook":  # the same body, no API token
            return write_script(self.run_dir / "hook.lua", n8n.BODY, {})
        headers = self.account.headers if self.account else {}
        return write_script(self.run_dir / "ours.lua", ours.RUN_BODY, headers)

    def url(self, system: str, mode: str) -> str:
        if system == "n8n":
            return n8n.WEBHOOK_URL
        if mode == "webhook":
            return self.account.hook_url
        wait = self.args.wait if mode == "sync" else None
        return ours.run_url(self.config, self.account, wait=wait)

    def warm_up(self, system: str) -> None:
        if self.args.warmup > 0:
            mode = "async" if system == "ours" else "webhook"
            url, script = self.url(system, mode), self.script(system, mode)
            run_wrk(url, script, clients=2, duration=self.args.warmup)
            if system == "ours":
                self.drain()

    # -- n8n --------------------------------------------------------------------------------
    def prepare_n8n(self) -> None:
        args = self.args
        self.setup["n8n_install"] = n8n.ensure_installed(args.peer_dir)
        self.setup["n8n_import"] = n8n.import_workflow(args.peer_dir, args.peer_workflow)
        self.sqlite = n8n.SqliteProbe(args.peer_dir)

    def start_n8n(self) -> None:
        if not self.procs.get("n8n"):
            self.setup.setdefault("n8n_start", []).append(n8n.start(self.procs, self.args.peer_dir))
            self.warm_up("n8n")

    def n8n_pids(self) -> list[int]:
        return tree(self._pid("n8n"))

    # -- one measurement --------------------------------------------------------------------
    def turn(self, system: str) -> None:
        """Make `system` the one under load; stop the other one with --idle stop."""
        if self.args.idle == "stop":
            if system == "ours":
                self.procs.stop("n8n")
            else:
                self.stop_ours()
        (self.start_ours if system == "ours" else self.start_n8n)()

    def measure(self, system: str, mode: str, clients: int, round_: int) -> dict:
        self.turn(system)
        is_ours = system == "ours"
        result: dict = {"system": system, "mode": mode, "clients": clients, "round": round_}
        own_pids = self.our_pids if is_ours else self.n8n_pids
        idle_pids = self.n8n_pids if is_ours else self.our_pids
        roles = ours.memory_roles(self.procs) if is_ours else n8n.memory_roles(self.procs)
        if is_ours:
            self.logs.read()
            pg_before, redis_before = self.pg.snapshot(), self.redis.snapshot()
            sql_before = sql_statements(self.config.base_url)
            t0 = self.pg.now()
        else:
            sqlite_before = self.sqlite.snapshot()
        own_cpu, idle_cpu, busy = cpu_seconds(own_pids()), cpu_seconds(idle_pids()), machine_busy()
        with MemorySampler(roles) as sampler:
            wrk = run_wrk(
                self.url(system, mode), self.script(system, mode), clients=clients,
                duration=self.args.duration, timeout_s=self.args.wait + 5,
            )  # fmt: skip
        busy_after = machine_busy()
        result["cpu"] = {
            "system_under_load_s": round(cpu_seconds(own_pids()) - own_cpu, 2),
            "idle_system_s": round(cpu_seconds(idle_pids()) - idle_cpu, 2),
            "machine_busy_pct": round(
                100 * (busy_after[0] - busy[0]) / max(1, busy_after[1] - busy[1]), 1
            ),
        }
        result["wrk"] = wrk.as_dict()
        result["memory"] = sampler.peak.as_dict()
        result["client_p50_ms"], result["client_p95_ms"] = wrk.p50_ms, wrk.p95_ms
        if not is_ours:
            time.sleep(1)
            stored = self.sqlite.delta(sqlite_before, self.sqlite.snapshot())
            result["n8n_db"] = stored
            ok = sum(n for code, n in wrk.codes.items() if 200 <= code < 300)
            result["completed_per_s"] = ok / wrk.duration_s
            for key in ("server_p50_ms", "server_p95_ms", "bytes_per_execution"):
                result[key] = stored.get(key)
            return result
        t1 = self.pg.now()
        window_s = (t1 - t0).total_seconds()
        workflow_id = self.workflow_id(mode)
        result.update(self.pg.window_counts(workflow_id, t0, t1), window_s=round(window_s, 2))
        result.update(self.drain(mode))
        result["executions"] = created = self.pg.created_since(workflow_id, t0, t1)
        result["server_p50_ms"] = created["server_p50_ms"]
        result["server_p95_ms"] = created["server_p95_ms"]
        if mode in ("sync", "webhook"):
            result["completed_per_s"] = wrk.count(200) / wrk.duration_s
            result["not_finished_in_wait_202"] = wrk.count(202)
        else:
            result["accepted_per_s"] = wrk.count(202) / wrk.duration_s
            result["completed_per_s"] = result["finished_in_window"] / window_s
        count = max(1, created["created"])
        pg = PgProbe.delta(pg_before, self.pg.snapshot())
        redis = self.redis.delta(redis_before, self.redis.snapshot())
        sql_after = sql_statements(self.config.base_url)
        result["postgres"] = {**pg, "xact_per_execution": pg["xact_commit"] / count}
        result["bytes_per_execution"] = pg["bytes"] / count
        if sql_before is not None and sql_after is not None:
            result["sql_per_execution"] = (sql_after - sql_before) / count
        result["redis"] = {
            **redis,
            "per_execution": redis["commands"] / count,
            "top_per_execution": {k: v / count for k, v in redis["top_commands"].items()},
        }
        result["server_log"] = self.logs.read()
        return result

    # -- the whole run ----------------------------------------------------------------------
    def run(self) -> None:
        args = self.args
        self.logs = ours.LogWatch(self.run_dir)
        idle = "both stay up, one under load at a time" if args.idle == "keep" else "stopped"
        self.setup["idle_policy"] = idle
        problem = self.prepare_ours()
        self.setup["ours_unavailable"] = problem
        if problem:
            print(f"ours: {problem}")
        if args.peer:
            self.prepare_n8n()
        if not problem:
            self.start_ours()
            sync = self.setup["sync_probe"]
            worker = self.setup["gunicorn_worker"]
            print(f"ours: ready, gunicorn worker {worker}; async probe {self.setup['async_probe']}")
            if not sync.get("available"):
                print(f"ours: sync mode unavailable: {sync.get('why')}")
        if args.peer:
            self.start_n8n()
            print(f"n8n: ready {self.setup['n8n_start'][-1]}")
        sync_ok = self.setup.get("sync_probe", {}).get("available")
        modes = [mode for mode in args.modes if mode != "sync" or sync_ok]
        for clients in args.clients:
            for round_ in range(1, args.rounds + 1):
                if not problem:
                    for mode in modes:
                        self.record(self.measure("ours", mode, clients, round_))
                if args.peer:
                    self.record(self.measure("n8n", "webhook", clients, round_))

    def record(self, result: dict) -> None:
        self.results.append(result)
        print_measurement(result)
        if self.args.json:
            self.write_json()

    def write_json(self) -> None:
        data = {
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(self.args).items()},
            "setup": self.setup,
            "measurements": self.results,
            "summary": summarize(self.results),
            "idle": idle_costs(self.results, self.setup),
        }
        self.args.json.write_text(json.dumps(data, indent=1, default=str))


def main() -> None:
    args = parse_args()
    require_wrk()

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGINT too: a shell starts background jobs with it ignored, and Python keeps that.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    run_dir = Path(tempfile.mkdtemp(prefix="bench-executions-"))
    figures = Figures("executions", None, clients=args.clients, modes=args.modes, peer=args.peer)
    bench = Bench(args, run_dir)
    print(f"logs and wrk scripts in {run_dir}", flush=True)
    try:
        bench.run()
    except KeyboardInterrupt:
        print("interrupted: stopping everything this run started", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        bench.procs.stop_all()
        for probe in (bench.pg, bench.redis):
            if probe is not None:
                probe.close()
        if bench.results or bench.setup.get("ours_unavailable"):
            print_summary(bench.results, bench.setup)
            if args.json:
                bench.write_json()
                print(f"figures written to {args.json}")
            add_figures(figures, bench.results)
            figures.write(args.figures)


if __name__ == "__main__":
    main()
