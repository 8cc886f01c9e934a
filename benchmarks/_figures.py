"""A benchmark's figures in one JSON shape, each run beside a fixed calibration.

The calibration is two things that depend on the machine, not on our code: a pure-Python
CPU loop and a trivial PostgreSQL round trip (``SELECT 1`` on an open connection). Each
benchmark times them when it starts and when it writes its figures, so
``benchmarks/compare.py`` can divide a figure by how fast the machine was and a slower
machine is not taken for a regression. It measures the machine's speed, not how busy it
was during the run: the load average is recorded beside it, and compare.py warns when a
run's exceeded the core count (the figures of such a run are noisy).

    figures = Figures("ingest", database_url)      # calibrates
    figures.add("api_events_per_s", 38_000, "events/s", better="higher")
    figures.write(path)                            # calibrates again, writes JSON
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

# Short loops, the fastest kept: the machine's speed when it gets a core, which a busy
# machine changes less than the median (a preempted loop is slow, never fast).
CPU_LOOP_ITERATIONS = 200_000
CPU_LOOP_REPEATS = 15
PG_ROUND_TRIPS = 300
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
CALIBRATIONS = ("cpu", "pg", "both", "none")


def median_ms(function, repeat: int) -> float:
    """Return the median wall time of ``function()`` in milliseconds (after one warm-up)."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def cpu_loop_ms() -> float:
    """The fastest wall time of a fixed pure-Python loop (integer arithmetic and a branch)."""
    samples = []
    for _ in range(CPU_LOOP_REPEATS):
        started = time.perf_counter()
        total = 0
        for i in range(CPU_LOOP_ITERATIONS):
            total += i * i % 7 if i & 1 else i
        samples.append((time.perf_counter() - started) * 1000)
    return min(samples)


def pg_round_trip_ms(database_url: str) -> float:
    """The lower decile of ``SELECT 1`` on an open connection, in milliseconds."""
    samples = []
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("SELECT 1").fetchone()  # the connection is open and warm
        for _ in range(PG_ROUND_TRIPS):
            started = time.perf_counter()
            connection.execute("SELECT 1").fetchone()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(samples, n=10)[0]


def calibrate(database_url: str) -> dict[str, float]:
    return {"cpu_loop_ms": cpu_loop_ms(), "pg_round_trip_ms": pg_round_trip_ms(database_url)}


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


class Figures:
    """Collects one benchmark's figures; ``better`` says which direction is an improvement."""

    def __init__(self, benchmark: str, database_url: str | None, **parameters):
        # Any database of the server will do: its speed, not its data, is what is timed.
        database_url = database_url or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        self.benchmark, self.database_url = benchmark, database_url
        self.parameters = parameters
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.load_before = load_average()
        self.calibration_before = calibrate(database_url)
        self.figures: dict[str, dict] = {}
        self.details: dict = {}  # what explains the figures (errors, sizes); never compared

    def add(
        self, name: str, value: float | None, unit: str, *, better: str, calibrate: str = "both"
    ) -> None:
        """Record a figure; ``calibrate`` is what it scales with: cpu, pg, both or none.

        none is for figures the machine's speed does not scale: memory, bytes, and ratios
        between two systems measured in the same run.
        """
        if better not in ("lower", "higher"):
            raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
        if calibrate not in CALIBRATIONS:
            raise ValueError(f"calibrate must be one of {CALIBRATIONS}, not {calibrate!r}")
        if value is None:  # not measured in this run (a mode that was unavailable)
            return
        self.figures[name] = {
            "value": value,
            "unit": unit,
            "better": better,
            "calibrate": calibrate,
        }

    def as_dict(self) -> dict:
        after = calibrate(self.database_url)
        before = self.calibration_before
        return {
            "benchmark": self.benchmark,
            "started": self.started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "parameters": self.parameters,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1m": [self.load_before, load_average()],
            },
            # The mean of the two: the figures were measured between them.
            "calibration": {key: (before[key] + after[key]) / 2 for key in before},
            "calibration_runs": [before, after],
            "figures": self.figures,
            "details": self.details,
        }

    def write(self, path: Path | None) -> None:
        if path is None:
            return
        path.write_text(json.dumps(self.as_dict(), indent=1))
        print(f"figures written to {path}")
