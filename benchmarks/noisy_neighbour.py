"""Benchmark: one noisy client is refused with 429 while a quiet client keeps its latency.

The production stack (gunicorn as config/gunicorn.py, production settings and the default
rate limits: `reads` 1200/m per user). Two accounts, each with its own workspace, created
through the API. Phase 1: the quiet client alone reads `GET /api/v1/workflows/` at a steady
--quiet-rate for --seconds. Phase 2: the same, while the noisy client (wrk, as fast as
--noisy-connections connections go) reads the same endpoint with its own token. Reported:
the quiet client's p50/p95 in both phases and their ratio (the target: p95 within 2x), its
statuses (all 200), and the noisy client's requests, 429s and the ones that got through.

    .venv/bin/python benchmarks/noisy_neighbour.py [--seconds 20] [--noisy-connections 4]
    .venv/bin/python benchmarks/noisy_neighbour.py --proxy nginx   # behind docs/nginx.conf
    .venv/bin/python benchmarks/noisy_neighbour.py --pin           # server and clients apart

`--proxy nginx` puts the nginx of docs/nginx.conf in front (its per-token `limit_req`
refuses a flood before it reaches Python), both clients going through it. Needs wrk
(`apt-get install wrk`) and, for the proxy, nginx (`apt-get install nginx`). Services:
DATABASE_URL's database with a `_bench` suffix (created and migrated), REDIS_URL (default
redis://127.0.0.1:6379/5).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _our_stack as ours  # noqa: E402
from benchmarks._benchdb import use_bench_database  # noqa: E402
from benchmarks._probes import percentile  # noqa: E402
from benchmarks._procs import Processes, run_bounded, tree  # noqa: E402

PATH = "/api/v1/workflows/"
NGINX_CONF = ROOT / "docs" / "nginx.conf"


def start_nginx(procs: Processes, run_dir: Path, listen: int, upstream: int) -> None:
    """Run docs/nginx.conf on `listen`, in front of gunicorn on `upstream`, as our child."""
    conf = NGINX_CONF.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / name).mkdir(exist_ok=True)
    prefix = f"""daemon off;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run_dir}/client_body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
{conf}
}}
"""
    path = run_dir / "nginx.conf"
    path.write_text(prefix)
    argv = [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(path), "-p", str(run_dir)]
    procs.start("nginx", argv, env=dict(os.environ), cwd=run_dir, log=run_dir / "nginx.log")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietClient(threading.Thread):
    """One keep-alive connection, one request every 1/rate seconds; latencies in ms."""

    def __init__(self, port: int, token: str, rate: float, seconds: float):
        super().__init__(daemon=True)
        self.port, self.token, self.interval, self.seconds = port, token, 1 / rate, seconds
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.reconnects = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Token {self.token}"}
        deadline = time.monotonic() + self.seconds
        next_at = time.monotonic()
        while next_at < deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            started = time.perf_counter()
            try:
                conn.request("GET", PATH, headers=headers)
                response = conn.getresponse()
            except (ConnectionError, http.client.HTTPException):
                # The server closed the idle keep-alive connection: open another, as a
                # browser would, and count the time it took.
                self.reconnects += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", PATH, headers=headers)
                response = conn.getresponse()
            response.read()
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            next_at += self.interval
        conn.close()

    def summary(self) -> dict:
        return {
            "requests": len(self.latencies),
            "statuses": self.statuses,
            "reconnects": self.reconnects,
            "p50_ms": round(percentile(self.latencies, 0.5), 2),
            "p95_ms": round(percentile(self.latencies, 0.95), 2),
        }


def pin(pids: list[int], cpu: int) -> None:
    for pid in pids:
        os.sched_setaffinity(pid, {cpu})


def noisy_wrk(port: int, token: str, connections: int, seconds: float, cpu: int | None) -> dict:
    argv = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{int(seconds)}s"]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    argv += ["-H", f"Authorization: Token {token}", f"http://127.0.0.1:{port}{PATH}"]
    done = run_bounded(argv, timeout=seconds + 60, capture_output=True)
    out = done.stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    refused_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    refused = int(refused_match.group(1)) if refused_match else 0
    return {
        "connections": connections,
        "requests": total,
        "per_second": round(total / seconds, 1),
        "refused_non_2xx": refused,
        "got_through": total - refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--quiet-rate", type=float, default=10, help="quiet requests/s")
    parser.add_argument("--noisy-connections", type=int, default=4)
    parser.add_argument("--proxy", choices=("none", "nginx"), default="none")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="gunicorn and the quiet client on CPU 0, wrk and nginx on CPU 1 (as other hosts)",
    )
    parser.add_argument(
        "--reads-rate", default=None, help="RATE_LIMIT_READS for this run (default: settings')"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if args.proxy == "nginx" and not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        raise SystemExit("nginx is not installed: apt-get install nginx")

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synapscale")
    use_bench_database()
    run_dir = Path(tempfile.mkdtemp(prefix="noisy-"))
    config = ours.StackConfig(port=free_port(), run_dir=run_dir)
    # The production rate limits for reads (the executions benchmark lifts them).
    config.env.pop("RATE_LIMIT_READS", None)
    if args.reads_rate:
        config.env["RATE_LIMIT_READS"] = args.reads_rate
    ours.prepare_database(config)
    procs = Processes()
    try:
        ours.start_web(procs, config)
        ours.wait_ready(procs, config)
        if args.pin:
            pin([*tree(procs.get("web").pid), os.getpid()], 0)
        quiet, noisy = ours.create_account(config), ours.create_account(config)
        port = config.port
        if args.proxy == "nginx":
            port = free_port()
            start_nginx(procs, run_dir, port, config.port)
            time.sleep(1)
            if args.pin:
                pin(tree(procs.get("nginx").pid), 1)
        alone = QuietClient(port, quiet.token, args.quiet_rate, args.seconds)
        alone.start()
        alone.join()
        beside = QuietClient(port, quiet.token, args.quiet_rate, args.seconds)
        beside.start()
        noise = noisy_wrk(
            port, noisy.token, args.noisy_connections, args.seconds, 1 if args.pin else None
        )
        beside.join()
    finally:
        procs.stop_all()
    quiet_alone, quiet_beside = alone.summary(), beside.summary()
    report = {
        "endpoint": f"GET {PATH}",
        "proxy": args.proxy,
        "pinned": args.pin,
        "reads_rate_limit": args.reads_rate or "the settings' default (README, Limits)",
        "quiet_alone": quiet_alone,
        "quiet_beside_noisy": quiet_beside,
        "quiet_p95_ratio": round(quiet_beside["p95_ms"] / quiet_alone["p95_ms"], 2),
        "noisy": noise,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
