"""Fuzz the API against its own OpenAPI schema with schemathesis, on a live server.

Prepares a database of its own (`<DATABASE_URL's name>_contract`: created, migrated and
seeded with the demo data), starts gunicorn on it with the test settings (rate limits out
of the way), then runs schemathesis twice: with the demo user's token over every
operation, and without authentication over the public ones. The checks are those the
schema must pass in CI (`not_a_server_error`, `status_code_conformance`,
`content_type_conformance`, `response_schema_conformance`); operations left out are
listed, each with its reason, in scripts/contract_exclusions.toml.

    .venv/bin/python scripts/contract_check.py                 # a few examples per operation
    .venv/bin/python scripts/contract_check.py --max-examples 50 --phases all

Exit status: schemathesis's (0 when no check failed).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
PUBLIC_PATHS = r"^/api/v1/(auth/(login|register)|marketplace)"
EXCLUSIONS = ROOT / "scripts" / "contract_exclusions.toml"
DEMO_USERNAME = "demo"  # synapscale.demo.DEMO_USERNAME: the user seed_demo creates


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8799, help="gunicorn's port")
    parser.add_argument("--max-examples", type=int, default=5, help="cases per operation")
    parser.add_argument(
        "--phases", default="examples,coverage,fuzzing", help="schemathesis phases, or 'all'"
    )
    parser.add_argument("--seed", type=int, default=20261203, help="for a repeatable run")
    parser.add_argument("--report-dir", default="/tmp/synapscale-contract", help="reports")
    return parser.parse_args()


def contract_env(port: int) -> dict[str, str]:
    source = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synapscale")
    parts = urlsplit(source)
    database_url = urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_contract"))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"),
        "SEED_DEMO_ALLOWED": "true",
        "PORT": str(port),
    }


def run(argv: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=ROOT, env=env, timeout=timeout, check=True, text=True, capture_output=True
    )


def create_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_database(env: dict) -> str:
    """Create, migrate and seed the contract database; return the demo user's token."""
    create_database(env["DATABASE_URL"])
    python = str(BIN / "python")
    run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env, timeout=600)
    run([python, "manage.py", "seed_demo"], env, timeout=600)
    command = ["manage.py", "create_api_token", DEMO_USERNAME, "--name", "contract-check"]
    command += ["--scopes", "read,write,ingest,admin"]
    return run([python, *command], env, timeout=120).stdout.strip().splitlines()[-1]


def exclusions() -> list[str]:
    """`--exclude-operation-id` arguments for the operations listed with a reason."""
    if not EXCLUSIONS.exists():
        return []
    listed = tomllib.loads(EXCLUSIONS.read_text()).get("exclude", [])
    args = []
    for entry in listed:
        if not entry.get("reason"):
            raise SystemExit(f"{EXCLUSIONS}: {entry} has no reason")
        args += ["--exclude-operation-id", entry["operation_id"]]
    return args


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout}s")


def schemathesis(args, base: str, *extra: str) -> int:
    argv = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/schema/?format=json",
        "--url",
        base,
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--phases",
        "examples,coverage,fuzzing,stateful" if args.phases == "all" else args.phases,
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        args.report_dir,
        "--no-color",
        *exclusions(),
        *extra,
    ]
    print("$", " ".join(argv), flush=True)
    return subprocess.run(argv, cwd=ROOT, timeout=1800).returncode


def main() -> None:
    args = parse_args()
    env = contract_env(args.port)
    token = prepare_database(env)
    base = f"http://127.0.0.1:{args.port}"
    Path(args.report_dir).mkdir(parents=True, exist_ok=True)
    gunicorn = [str(BIN / "python"), "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
    gunicorn += ["-b", f"127.0.0.1:{args.port}", "--workers", "2"]
    with open(Path(args.report_dir) / "web.log", "w") as web_log:
        web = subprocess.Popen(
            gunicorn, cwd=ROOT, env=env, stdout=web_log, stderr=web_log, start_new_session=True
        )
        try:
            wait_ready(f"{base}/health/live/", web)
            authenticated = schemathesis(args, base, "--header", f"Authorization: Token {token}")
            anonymous = schemathesis(args, base, "--include-path-regex", PUBLIC_PATHS)
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
    sys.exit(authenticated or anonymous)


if __name__ == "__main__":
    main()
