"""Benchmark: one noisy client is refused with 429 while a quiet client keeps its latency.

The production stack (gunicorn as config/gunicorn.py, production settings and the default
rate limits: `reads` 1200/m per user). Two accounts, each with its own workspace, created
through the API. Phase 1: the quiet client alone reads `GET /api/v1/workflows/` at a steady
--quiet-rate for --seconds. Phase 2: the same, while the noisy client (wrk, as fast as
--noisy-connections connections go) reads the same endpoint with its own token. Reported:
the quiet client's p50/p95 in both phases and their ratio (the target: p95 within 2x), its
statuses (all 200), and the noisy client's requests, 429s and the ones that got through.

    .venv/bin/python benchmarks/noisy_neighbour.py [--seconds 20] [--noisy-connections 4]

Needs wrk (`apt-get install wrk`). Services: DATABASE_URL's database with a `_bench` suffix
(created and migrated), REDIS_URL (default redis://127.0.0.1:6379/5).
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
from benchmarks._procs import Processes, run_bounded  # noqa: E402

PATH = "/api/v1/workflows/"


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


def noisy_wrk(port: int, token: str, connections: int, seconds: float) -> dict:
    argv = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{int(seconds)}s"]
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
    parser.add_argument(
        "--reads-rate", default=None, help="RATE_LIMIT_READS for this run (default: settings')"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

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
        quiet, noisy = ours.create_account(config), ours.create_account(config)
        alone = QuietClient(config.port, quiet.token, args.quiet_rate, args.seconds)
        alone.start()
        alone.join()
        beside = QuietClient(config.port, quiet.token, args.quiet_rate, args.seconds)
        beside.start()
        noise = noisy_wrk(config.port, noisy.token, args.noisy_connections, args.seconds)
        beside.join()
    finally:
        procs.stop_all()
    quiet_alone, quiet_beside = alone.summary(), beside.summary()
    report = {
        "endpoint": f"GET {PATH}",
        "reads_rate_limit": args.reads_rate or "the settings' default (README, Limits)",
        "quiet_alone": quiet_alone,
        "quiet_beside_noisy": quiet_beside,
        "quiet_p95_ratio": round(quiet_beside["p95_ms"] / quiet_alone["p95_ms"], 2),
        "noisy": noise,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
