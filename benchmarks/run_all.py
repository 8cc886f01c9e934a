"""Run the benchmarks one after another and write all their figures to one JSON file.

Each benchmark runs as its own process (they set up Django and their databases at import)
with ``--figures`` pointing at a temporary file, and times the calibration (a pure-Python
CPU loop and a ``SELECT 1`` round trip, benchmarks/_figures.py) when it starts and when it
writes its figures; ``benchmarks/compare.py`` divides by it. Benchmarks run in sequence so
that they do not slow each other down; their own output goes to the terminal.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/run_all.py --quick --json /tmp/bench-quick.json
    .venv/bin/python benchmarks/run_all.py --only ingest,metrics --json /tmp/bench.json
    .venv/bin/python benchmarks/compare.py /tmp/bench-before.json /tmp/bench.json

``--quick`` uses small sizes (a few minutes in all on a 2-core machine); the default sizes
are the README's (about an hour: 10M events twice). ``--peer n8n`` also runs the executions
benchmark against n8n (installed from npm on first use). Not run from here:
bounded_worker.py, noisy_neighbour.py, broker_down.py and soak.py, which are pass/fail
experiments about robustness (each exits non-zero on failure) rather than speed figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks._benchdb import bench_database_url  # noqa: E402


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]


BENCHMARKS = (
    Benchmark(
        "executions",
        "executions.py",
        ("--clients", "1", "8", "32", "--duration", "20", "--private-redis"),
        (
            *("--clients", "1", "8", "--duration", "5", "--rounds", "1", "--warmup", "2"),
            *("--modes", "sync", "async", "--private-redis"),
        ),
    ),
    Benchmark("ingest", "ingest.py", ("--batches", "100"), ("--batches", "10")),
    Benchmark(
        "analysis",
        "analysis.py",
        ("--sizes", "1000000", "10000000", "--runs", "3"),
        ("--sizes", "100000", "--runs", "3"),
    ),
    Benchmark(
        "metrics",
        "metrics.py",
        ("--sizes", "1000000,10000000", "--repeat", "5"),
        ("--sizes", "100000", "--repeat", "5"),
    ),
    Benchmark(
        "marketplace",
        "marketplace.py",
        ("--templates", "100000", "--repeat", "15"),
        ("--templates", "5000", "--repeat", "3", "--regenerate"),
    ),
    Benchmark("load_api", "load_api.py", ("--duration", "60"), ("--duration", "20")),
)
NAMES = tuple(benchmark.name for benchmark in BENCHMARKS)


def selection(text: str | None) -> list[Benchmark]:
    """The benchmarks named in a comma-separated ``--only`` (all when empty), in run order."""
    if not text:
        return list(BENCHMARKS)
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(NAMES))
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}"
        )
    return [benchmark for benchmark in BENCHMARKS if benchmark.name in wanted]


def run_one(benchmark: Benchmark, args: argparse.Namespace, scratch: Path) -> dict:
    """Run one benchmark; return its figures, or what went wrong."""
    figures_path = scratch / f"{benchmark.name}.json"
    arguments = list(benchmark.quick if args.quick else benchmark.full)
    if benchmark.name == "executions" and args.peer:
        arguments += ["--peer", args.peer]
    command = [sys.executable, str(HERE / benchmark.script), *arguments]
    command += ["--figures", str(figures_path)]
    print(f"\n=== {benchmark.name}: {' '.join(command[1:])}", flush=True)
    # executions.py uses DATABASE_URL as it is: give it the *_bench database the others use.
    environment = {**os.environ}
    if benchmark.name == "executions":
        environment["DATABASE_URL"] = bench_database_url()
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, env=environment, timeout=args.timeout, check=False)
        returncode = completed.returncode
    except subprocess.TimeoutExpired:
        returncode = None
    elapsed = round(time.perf_counter() - started, 1)
    if returncode != 0 or not figures_path.exists():
        why = "timed out" if returncode is None else f"exited with {returncode}"
        print(f"=== {benchmark.name}: {why} after {elapsed} s", flush=True)
        return {"benchmark": benchmark.name, "error": why, "seconds": elapsed}
    result = json.loads(figures_path.read_text())
    result["seconds"], result["arguments"] = elapsed, arguments
    print(f"=== {benchmark.name}: {len(result['figures'])} figures in {elapsed} s", flush=True)
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    parser.add_argument("--only", help=f"comma-separated, from: {', '.join(NAMES)}")
    parser.add_argument("--peer", choices=["n8n"], help="executions: also measure n8n")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
    parser.add_argument("--json", type=Path, required=True, help="where to write the figures")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    chosen = selection(args.only)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="bench-run-all-") as scratch:
        results = [run_one(benchmark, args, Path(scratch)) for benchmark in chosen]
    report = {
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": "quick" if args.quick else "full",
        "benchmarks": {result["benchmark"]: result for result in results},
    }
    args.json.write_text(json.dumps(report, indent=1))
    failed = [result["benchmark"] for result in results if "error" in result]
    print(
        f"\n{len(results) - len(failed)} of {len(results)} benchmarks ran; figures in {args.json}"
    )
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
