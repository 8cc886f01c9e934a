"""Our stack as production runs it: gunicorn (config/gunicorn.py) and one Celery worker.

The services come from the environment (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL,
DJANGO_SECRET_KEY) with benchmark defaults; the user, token, workspace and workflow are
created through the HTTP API, as a client would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks._http_load import http_json
from benchmarks._probes import redis_answers
from benchmarks._procs import Processes, descendants, run_bounded, tree, wait_until

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/synapscale_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
UVICORN_WORKER = "uvicorn.workers.UvicornWorker"
# Production requires credential keys. A fixed one (a Fernet key from a fixed string), so that
# credentials stored in a *_bench database by one run still decrypt in the next.
BENCHMARK_CREDENTIALS_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"synapscale benchmarks only").digest()
).decode()

# n8n's wfA is Webhook -> Set -> IF -> Set; ours is the same graph without the trigger node:
# set -> condition -> set (the second set runs on the true branch, as n=7 > 5 takes it).
WORKFLOW = {
    "name": "bench-set-if",
    "description": "benchmarks/executions.py: set -> condition -> set",
    "definition": {
        "nodes": [
            {
                "id": "prepare",
                "type": "set",
                "params": {"fields": {"n": {"expr": "input.n"}, "processed": True}},
            },
            {"id": "check", "type": "condition", "params": {"expr": "nodes.prepare.n > `5`"}},
            {
                "id": "high",
                "type": "set",
                "params": {"fields": {"n": {"expr": "nodes.prepare.n"}, "branch": "high"}},
            },
        ],
        "edges": [
            {"from": "prepare", "to": "check"},
            {"from": "check", "to": "high", "when": "true"},
        ],
    },
}
RUN_BODY = {"input": {"n": 7}}
# The same graph behind a webhook trigger (`last_node`): the run's input is the request, so
# the expressions read the body. It is called with n8n's body, {"n": 7}.
HOOK_WORKFLOW = {
    "name": "bench-set-if-hook",
    "description": "benchmarks/executions.py, webhook mode: set -> condition -> set",
    "definition": json.loads(json.dumps(WORKFLOW["definition"]).replace("input.n", "input.body.n")),
}
HOOK_TRIGGER = {"response_mode": "last_node", "wait_seconds": 10, "rate_limit": "1000000/s"}


@dataclass
class StackConfig:
    port: int
    # "config": config/gunicorn.py's class; threads None: the config's (WEB_THREADS, 8).
    worker_class: str = "config"
    threads: int | None = None
    pool: str = "prefork"
    broker: str = "redis"
    redis_url: str | None = None
    run_dir: Path = Path("/tmp")
    env: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        redis_url = self.redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        broker = os.environ.get("CELERY_BROKER_URL") or (
            AMQP_URL if self.broker == "amqp" else redis_url
        )
        prometheus = self.run_dir / "prometheus"
        prometheus.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "CREDENTIALS_ENCRYPTION_KEYS": os.environ.get("CREDENTIALS_ENCRYPTION_KEYS")
            or BENCHMARK_CREDENTIALS_KEY,
            "DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": broker,
            # The settings read ALLOWED_HOSTS; DJANGO_ALLOWED_HOSTS is set for the sake.
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on 127.0.0.1: production redirects to HTTPS unless this is off.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "WEB_CONCURRENCY": "2",
            "PORT": str(self.port),
            # As the Dockerfile: /metrics sums every process, the worker's too.
            "PROMETHEUS_MULTIPROC_DIR": str(prometheus),
            "PYTHONUNBUFFERED": "1",
            # Bound to 127.0.0.1: the probes read /metrics without a token.
            "METRICS_PUBLIC": "true",
            # Every request is still counted (the limiter's cost is measured), never refused.
            **{f"RATE_LIMIT_{group}": "100000000/m" for group in BENCHMARK_UNLIMITED_GROUPS},
            "WORKSPACE_QUOTA_EXECUTIONS_PER_DAY": "1000000000",
            "WORKSPACE_QUOTA_EVENTS_PER_DAY": "1000000000",
        }

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


BENCHMARK_UNLIMITED_GROUPS = (
    *("RUN", "READS", "WRITES", "INGEST", "CAPTURE", "HOOKS", "SEARCH", "ANALYSIS", "REFRESH"),
)


def _importable(module: str, env: dict) -> bool:
    done = run_bounded(
        [PYTHON, "-c", f"import {module}"], timeout=60, env=env, cwd=ROOT, capture_output=True
    )
    return done.returncode == 0


def worker_class_problem(config: StackConfig) -> str | None:
    """Return why the web worker class cannot run here, or None."""
    if not _importable("gunicorn", config.env):
        raise SystemExit("gunicorn is not installed in .venv: run `make install`")
    if config.worker_class == UVICORN_WORKER and not _importable("uvicorn.workers", config.env):
        return "uvicorn is not installed in the venv: UvicornWorker unavailable"
    return None


def prepare_database(config: StackConfig, *, recreate: bool = False) -> None:
    """Create the database with psql if it is missing, then migrate it."""
    parts = urlsplit(config.database_url)
    name = parts.path.lstrip("/")
    psql = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    psql += ["-U", parts.username or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-Atc"]
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    if recreate:
        if not name.endswith("_bench"):
            raise SystemExit(f"--recreate-db drops only a *_bench database, not {name}")
        run_bounded([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], timeout=60, env=env)
    exists = run_bounded(
        [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        timeout=30,
        env=env,
        capture_output=True,
    )
    if exists.returncode != 0:
        raise SystemExit(f"psql failed: {exists.stderr.strip()}")
    if exists.stdout.strip() != "1":
        created = run_bounded([*psql, f'CREATE DATABASE "{name}"'], timeout=60, env=env)
        if created.returncode != 0:
            raise SystemExit(f"could not create database {name}")
    done = run_bounded(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        timeout=300,
        cwd=ROOT,
        env=config.env,
        capture_output=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"migrate failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")


def start_web(procs: Processes, config: StackConfig) -> None:
    app = "config.asgi:application" if config.worker_class == UVICORN_WORKER else "config.wsgi"
    argv = [PYTHON, "-m", "gunicorn", app, "-c", "config/gunicorn.py"]
    # The command line wins over the config file: bind to loopback only.
    argv += ["-b", f"127.0.0.1:{config.port}"]
    # "config": whatever config/gunicorn.py chooses; otherwise the command line overrides it.
    if config.worker_class != "config":
        argv += ["--worker-class", config.worker_class]
    threads = config.threads
    # gunicorn runs `sync` as gthread when threads > 1, and the config file asks for 8.
    if threads is None and config.worker_class == "sync":
        threads = 1
    if threads is not None:
        argv += ["--threads", str(threads)]
    procs.start("web", argv, env=config.env, cwd=ROOT, log=config.run_dir / "web.log")


def start_private_redis(procs: Processes, port: int, run_dir: Path) -> str:
    """Start a redis-server of the benchmark's own on 127.0.0.1:port; return its URL (db 5)."""
    url = f"redis://127.0.0.1:{port}/5"
    if redis_answers(url):
        raise SystemExit(f"port {port} already has a Redis: pick another --port")
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--save", "", "--appendonly", "no"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    procs.start("redis", argv, env=env, cwd=run_dir, log=run_dir / "redis.log")
    if not wait_until(lambda: redis_answers(url), timeout=10):
        raise SystemExit("the private redis-server did not start")
    return url


_USING_WORKER = re.compile(r"Using worker: (\S+)")


def effective_worker(config: StackConfig) -> str | None:
    """The worker class gunicorn says it uses (its log): `sync` with threads is gthread."""
    found = _USING_WORKER.findall((config.run_dir / "web.log").read_text(errors="replace"))
    return found[-1] if found else None


def purge_queues(config: StackConfig) -> str:
    """Drop tasks an interrupted run left in the benchmark's Redis broker (not a shared one)."""
    if not config.env["CELERY_BROKER_URL"].startswith("redis"):
        return "skipped: the amqp broker may be shared, its queues are left alone"
    celery = str(ROOT / ".venv" / "bin" / "celery")
    argv = [celery, "-A", "config", "purge", "-f", "-Q", "default,high"]
    done = run_bounded(argv, timeout=120, cwd=ROOT, env=config.env, capture_output=True)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()[-300:]}"
    lines = (done.stdout or "").strip().splitlines()
    return lines[-1] if lines else "done"


def start_worker(procs: Processes, config: StackConfig) -> None:
    argv = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "-Q", "default,high"]
    argv += ["-c", "2", "--pool", config.pool, "--loglevel", "INFO"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    procs.start("worker", argv, env=config.env, cwd=ROOT, log=config.run_dir / "worker.log")


def wait_ready(procs: Processes, config: StackConfig, timeout: float = 90) -> float:
    """Wait for /health/ready/ to answer 200; return the seconds it took."""
    started = time.monotonic()

    def ready() -> bool:
        for name in ("web", "worker"):
            proc = procs.get(name)
            if proc is not None and proc.poll() is not None:
                log = (config.run_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{name} exited with {proc.returncode}:\n{log}")
        return http_json("GET", f"{config.base_url}/health/ready/", timeout=3)[0] == 200

    if not wait_until(ready, timeout=timeout, interval=0.3):
        raise SystemExit(f"/health/ready/ did not answer 200 within {timeout} s")
    return time.monotonic() - started


def memory_roles(procs: Processes) -> dict:
    """Role -> pids of our platform: each server's master and its children."""

    def master(name):
        return lambda: tree(procs.get(name).pid)[:1] if procs.get(name) else []

    def children(name):
        return lambda: descendants(procs.get(name).pid) if procs.get(name) else []

    return {
        "gunicorn_master": master("web"),
        "gunicorn_workers": children("web"),
        "celery_master": master("worker"),
        "celery_children": children("worker"),
    }


@dataclass(frozen=True)
class Account:
    token: str
    workspace: str
    workflow_id: int
    hook_workflow_id: int
    hook_url: str  # the webhook trigger's URL, with its token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


def create_account(config: StackConfig) -> Account:
    """Register a user (its token, its personal workspace) and create the workflow, by API."""
    api = f"{config.base_url}/api/v1"
    name = f"bench-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@bench.invalid", "password": secrets.token_hex(16)}
    status, data, _ = http_json("POST", f"{api}/auth/register/", body)
    if status != 201:
        raise SystemExit(f"POST /auth/register/ answered {status}: {data}")
    token = data["token"]
    headers = {"Authorization": f"Token {token}"}
    status, workflow, _ = http_json("POST", f"{api}/workflows/", WORKFLOW, headers)
    if status != 201:
        raise SystemExit(f"POST /workflows/ answered {status}: {workflow}")
    status, hook_workflow, _ = http_json("POST", f"{api}/workflows/", HOOK_WORKFLOW, headers)
    if status != 201:
        raise SystemExit(f"POST /workflows/ answered {status}: {hook_workflow}")
    body = {**HOOK_TRIGGER, "workflow": hook_workflow["id"]}
    status, trigger, _ = http_json("POST", f"{api}/triggers/", body, headers)
    if status != 201:
        raise SystemExit(f"POST /triggers/ answered {status}: {trigger}")
    workspace = data["workspace"].get("slug", "") if isinstance(data["workspace"], dict) else ""
    return Account(
        token=token,
        workspace=workspace,
        workflow_id=workflow["id"],
        hook_workflow_id=hook_workflow["id"],
        hook_url=trigger["secret_url"],
    )


def run_url(config: StackConfig, account: Account, *, wait: int | None) -> str:
    url = f"{config.base_url}/api/v1/workflows/{account.workflow_id}/run/"
    return url if wait is None else f"{url}?wait={wait}"


def probe_run(config: StackConfig, account: Account, *, wait: int | None) -> dict:
    """POST one run; say what came back (status, size, keys) and whether sync mode works."""
    started = time.monotonic()
    url = run_url(config, account, wait=wait)
    status, data, size = http_json("POST", url, RUN_BODY, account.headers, timeout=(wait or 5) + 5)
    result = {
        "status": status,
        "bytes": size,
        "seconds": round(time.monotonic() - started, 3),
        "keys": sorted(data) if isinstance(data, dict) else None,
        "execution_status": data.get("status") if isinstance(data, dict) else None,
    }
    if wait is not None:
        if status == 200:
            result["available"] = True
        elif status == 400:
            result["available"] = False
            result["why"] = f"the server refused ?wait= (400): {str(data)[:300]}"
        elif status == 202:
            result["available"] = False
            result["why"] = "the server ignored ?wait= (answered 202 at once)"
        else:
            result["available"] = False
            result["why"] = f"answered {status}: {str(data)[:300]}"
    return result


# gunicorn's access line goes on after the status ('" 200 158 "-"'), uvicorn's ends there.
_ACCESS_STATUS = re.compile(r'" (\d{3})(?: |$)')


class LogWatch:
    """New problem lines in our servers' logs since the last call."""

    def __init__(self, run_dir: Path):
        self.paths = {name: run_dir / f"{name}.log" for name in ("web", "worker")}
        self.offsets = dict.fromkeys(self.paths, 0)

    def read(self) -> dict:
        found: dict = {"http_5xx": 0, "http_4xx": 0, "problem_lines": 0, "errors": []}
        for name, path in self.paths.items():
            if not path.exists():
                continue
            with open(path, "rb") as handle:
                handle.seek(self.offsets[name])
                text = handle.read().decode(errors="replace")
                self.offsets[name] = handle.tell()
            for line in text.splitlines():
                match = _ACCESS_STATUS.search(line) if name == "web" else None
                if match and line.lstrip().startswith("127.0.0.1"):
                    code = int(match.group(1))
                    found["http_5xx"] += code >= 500
                    found["http_4xx"] += 400 <= code < 500
                elif re.search(r"ERROR|CRITICAL|Traceback|WARNING", line):
                    found["problem_lines"] += 1
                    if len(found["errors"]) < 8:
                        found["errors"].append(f"{name}: {line[:400]}")
        return found
