"""n8n 2.8.4, the peer: installed from the npm registry outside the repository, run as
/work/shared/peers/n8n/README.md and how-it-was-run.sh.txt describe.

Its webhook (`POST /webhook/bench`, wfA: Webhook -> Set -> IF -> Set) answers after the
last node, so each 2xx response is one finished execution.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from benchmarks._http_load import http_json
from benchmarks._probes import percentile
from benchmarks._procs import Processes, descendants, run_bounded, wait_until

VERSION = "2.8.4"
PORT = 5678
BASE_URL = f"http://127.0.0.1:{PORT}"
WEBHOOK_URL = f"{BASE_URL}/webhook/bench"
WORKFLOW_ID = "benchSetIf000001"
BODY = {"n": 7}
PACKAGE_JSON = {"name": "peer", "version": "1.0.0", "overrides": {"xlsx": "0.18.5"}}
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "peers" / "n8n"


def environment(peer_dir: Path) -> dict:
    """The variables at the top of how-it-was-run.sh.txt."""
    return {
        **os.environ,
        "N8N_PORT": str(PORT),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        "N8N_HOST": "127.0.0.1",
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_HIRING_BANNER_ENABLED": "false",
        "N8N_USER_FOLDER": str(peer_dir / "home"),
        "EXECUTIONS_MODE": "regular",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "true",
        "N8N_LOG_LEVEL": "info",
        "N8N_LOG_OUTPUT": "console",
        "NODE_ENV": "production",
        "GENERIC_TIMEZONE": "UTC",
        "EXTERNAL_FRONTEND_HOOKS_URLS": "",
        "N8N_DIAGNOSTICS_CONFIG_FRONTEND": "",
        "N8N_DIAGNOSTICS_CONFIG_BACKEND": "",
    }


def _npm_install_running(peer_dir: Path) -> bool:
    """Tell whether an npm process works in peer_dir (an install started by someone else)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(Path(entry.path, "cwd"))
        except OSError:
            continue
        if cwd == str(peer_dir) and any(part.endswith(b"npm") for part in cmdline[:2]):
            return True
    return False


def ensure_installed(peer_dir: Path, timeout: float = 1800) -> str:
    """Install n8n unless node_modules/.bin/n8n exists; wait for an install already running."""
    binary = peer_dir / "node_modules" / ".bin" / "n8n"
    if _npm_install_running(peer_dir):
        print(f"n8n: an npm install is running in {peer_dir}; waiting for it", flush=True)
        wait_until(lambda: not _npm_install_running(peer_dir), timeout=timeout, interval=5)
    if binary.exists():
        return "present"
    if shutil.which("npm") is None:
        raise SystemExit("npm is missing: apt-get install nodejs npm")
    peer_dir.mkdir(parents=True, exist_ok=True)
    package = peer_dir / "package.json"
    if not package.exists():
        package.write_text(json.dumps(PACKAGE_JSON))
    print(f"n8n: npm install n8n@{VERSION} into {peer_dir} (a few minutes)", flush=True)
    with open(peer_dir / "install.log", "ab") as log:
        done = run_bounded(
            ["npm", "install", f"n8n@{VERSION}", "--no-audit", "--no-fund"],
            timeout=timeout,
            cwd=peer_dir,
            env={**os.environ, "npm_config_nodedir": "/usr"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0 or not binary.exists():
        raise SystemExit(f"npm install failed: see {peer_dir / 'install.log'}")
    return "installed"


def _cli(peer_dir: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return run_bounded(
        [str(peer_dir / "node_modules" / ".bin" / "n8n"), *args],
        timeout=timeout,
        cwd=peer_dir,
        env=environment(peer_dir),
        capture_output=True,
    )


def import_workflow(peer_dir: Path, workflow: Path) -> str:
    """Import wfA.json and publish it (or activate it, the older command)."""
    target = peer_dir / "wfA.json"
    shutil.copyfile(workflow, target)
    (peer_dir / "logs").mkdir(exist_ok=True)
    done = _cli(peer_dir, "import:workflow", f"--input={target}")
    if done.returncode != 0:
        raise SystemExit(f"n8n import:workflow failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    published = _cli(peer_dir, "publish:workflow", f"--id={WORKFLOW_ID}")
    if published.returncode == 0:
        return "imported, published"
    activated = _cli(peer_dir, "update:workflow", f"--id={WORKFLOW_ID}", "--active=true")
    if activated.returncode != 0:
        raise SystemExit(f"n8n could not publish/activate:\n{activated.stderr[-1500:]}")
    return "imported, activated"


def start(procs: Processes, peer_dir: Path, timeout: float = 240) -> dict:
    """`n8n start`; ready when /healthz/readiness answers 200 and the webhook answers 2xx."""
    if http_json("GET", f"{BASE_URL}/healthz", timeout=1)[0] != 0:
        raise SystemExit(f"port {PORT} already answers: stop that n8n first")
    started = time.monotonic()
    (peer_dir / "logs").mkdir(exist_ok=True)
    log = peer_dir / "logs" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.log"
    argv = [str(peer_dir / "node_modules" / ".bin" / "n8n"), "start"]
    proc = procs.start("n8n", argv, env=environment(peer_dir), cwd=peer_dir, log=log)
    times: dict = {"log": str(log)}

    def ready() -> bool:
        if proc.poll() is not None:
            raise SystemExit(f"n8n exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        elapsed = round(time.monotonic() - started, 2)
        if "healthz_s" not in times:
            if http_json("GET", f"{BASE_URL}/healthz", timeout=1)[0] == 200:
                times["healthz_s"] = elapsed
            return False
        if "readiness_s" not in times:
            if http_json("GET", f"{BASE_URL}/healthz/readiness", timeout=1)[0] == 200:
                times["readiness_s"] = elapsed
            return False
        if 200 <= http_json("POST", WEBHOOK_URL, BODY, timeout=2)[0] < 300:
            times["first_webhook_ok_s"] = elapsed
            return True
        return False

    if not wait_until(ready, timeout=timeout, interval=0.1):
        raise SystemExit(f"n8n was not ready within {timeout} s: see {log}")
    return times


def memory_roles(procs: Processes) -> dict:
    def main():
        proc = procs.get("n8n")
        return [proc.pid] if proc and proc.poll() is None else []

    def children():
        proc = procs.get("n8n")
        return descendants(proc.pid) if proc and proc.poll() is None else []

    return {"n8n_main": main, "n8n_children": children}


class SqliteProbe:
    """Executions and their stored size in n8n's database, through the sqlite3 CLI."""

    def __init__(self, peer_dir: Path):
        self.path = peer_dir / "home" / ".n8n" / "database.sqlite"
        self.available = shutil.which("sqlite3") is not None
        self.dbstat = self.available and self._query("SELECT count(*) FROM dbstat") is not None

    def _query(self, sql: str) -> list[list[str]] | None:
        done = run_bounded(
            ["sqlite3", "-readonly", "-separator", "|", str(self.path), sql],
            timeout=60,
            capture_output=True,
        )
        if done.returncode != 0:
            return None
        return [line.split("|") for line in done.stdout.splitlines()]

    def snapshot(self) -> dict:
        if not self.available:
            return {}
        size_sql = (
            "SELECT sum(pgsize) FROM dbstat"
            if self.dbstat
            else "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
        )
        max_id = self._query("SELECT coalesce(max(id), 0) FROM execution_entity")
        size = self._query(size_sql)
        if not max_id or not size:
            return {}
        return {"max_id": int(max_id[0][0]), "bytes": int(size[0][0] or 0)}

    def delta(self, before: dict, after: dict) -> dict:
        if not before or not after:
            return {"available": False}
        first = before["max_id"]
        statuses = {
            row[0]: int(row[1])
            for row in self._query(
                f"SELECT status, count(*) FROM execution_entity WHERE id > {first} GROUP BY 1"
            )
            or []
        }
        latencies = [
            float(row[0])
            for row in self._query(
                "SELECT (julianday(stoppedAt) - julianday(createdAt)) * 86400000 "
                f"FROM execution_entity WHERE id > {first} AND stoppedAt IS NOT NULL"
            )
            or []
            if row[0]
        ]
        payload = self._query(
            f"SELECT avg(length(data)) FROM execution_data WHERE executionId > {first}"
        )
        recorded = after["max_id"] - first
        return {
            "available": True,
            "executions_recorded": recorded,
            "statuses": statuses,
            "server_p50_ms": percentile(latencies, 0.5),
            "server_p95_ms": percentile(latencies, 0.95),
            "bytes_delta": after["bytes"] - before["bytes"],
            "bytes_per_execution": (after["bytes"] - before["bytes"]) / recorded
            if recorded
            else None,
            "execution_data_avg_bytes": float(payload[0][0]) if payload and payload[0][0] else None,
            "size_method": "dbstat pages" if self.dbstat else "page_count * page_size",
        }
