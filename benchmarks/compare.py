"""Compare two runs of benchmarks/run_all.py, each figure as a ratio calibrated to its machine.

For every figure both runs have, the raw ratio is B / A. The machine ratio is how much slower
run B's machine was when that benchmark ran: B's calibration over A's (benchmarks/_figures.py),
for the figure's kind: the CPU loop (``cpu``), the PostgreSQL round trip (``pg``), the
geometric mean of both (``both``), or 1 (``none``: memory, sizes, ratios between systems).
The calibrated ratio takes the machine out: B / A divided by the machine ratio for a time,
multiplied by it for a rate. A figure is worse by that ratio (a time) or its inverse (a rate);
more than ``--threshold`` (20 %) worse is flagged and the exit status is 1.

    .venv/bin/python benchmarks/compare.py /tmp/bench-before.json /tmp/bench-after.json

Figures only one run has are listed, not compared. Benchmarks that failed in a run are
reported and make the exit status 1 only with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    unit: str
    before: float
    after: float
    raw_ratio: float
    machine_ratio: float
    calibrated_ratio: float
    worse_by: float  # > 1: worse by that factor; < 1: better
    flagged: bool


def machine_ratio(before: dict, after: dict, kind: str) -> float:
    """How much slower the machine was in ``after`` than in ``before`` (> 1: slower)."""
    cpu = after["cpu_loop_ms"] / before["cpu_loop_ms"]
    pg = after["pg_round_trip_ms"] / before["pg_round_trip_ms"]
    return {"cpu": cpu, "pg": pg, "both": math.sqrt(cpu * pg), "none": 1.0}[kind]


def compare_figure(
    benchmark: str, name: str, before: dict, after: dict, machine: float, threshold: float
) -> Row:
    if before["value"]:
        raw = after["value"] / before["value"]
    else:  # nothing before: the same nothing is no change, anything more is infinitely worse
        raw = 1.0 if not after["value"] else math.inf
    if before["better"] == "lower":  # a time: a slower machine takes longer
        calibrated = raw / machine
        worse_by = calibrated
    else:  # a rate: a slower machine does less per second
        calibrated = raw * machine
        worse_by = 1 / calibrated if calibrated else math.inf
    return Row(
        benchmark,
        name,
        before["unit"],
        before["value"],
        after["value"],
        raw,
        machine,
        calibrated,
        worse_by,
        worse_by > 1 + threshold,
    )


def compare_runs(before: dict, after: dict, threshold: float = 0.20) -> tuple[list[Row], list[str]]:
    """Compare every figure present in both runs; also return notes on what was not compared."""
    rows, notes = [], []
    for benchmark, old in before["benchmarks"].items():
        new = after["benchmarks"].get(benchmark)
        if new is None:
            notes.append(f"{benchmark}: only in the first run")
            continue
        failed = [label for label, run in (("first", old), ("second", new)) if "error" in run]
        if failed:
            notes.append(f"{benchmark}: failed in the {' and '.join(failed)} run, not compared")
            continue
        for name, figure in old["figures"].items():
            if name not in new["figures"]:
                notes.append(f"{benchmark}: {name!r} only in the first run")
                continue
            kind = figure.get("calibrate", "both")
            machine = machine_ratio(old["calibration"], new["calibration"], kind)
            rows.append(
                compare_figure(benchmark, name, figure, new["figures"][name], machine, threshold)
            )
        for name in new["figures"].keys() - old["figures"].keys():
            notes.append(f"{benchmark}: {name!r} only in the second run")
    for benchmark in after["benchmarks"].keys() - before["benchmarks"].keys():
        notes.append(f"{benchmark}: only in the second run")
    for label, run in (("first", before), ("second", after)):
        for benchmark, result in run["benchmarks"].items():
            busy = busy_machine(result)
            if busy:
                notes.append(f"{benchmark}: the machine was busy in the {label} run ({busy})")
    return rows, notes


def busy_machine(result: dict) -> str | None:
    """Say so when the load average passed the core count: calibration does not correct that."""
    machine = result.get("machine") or {}
    cpus, loads = machine.get("cpus"), [x for x in machine.get("load_average_1m", []) if x]
    if not cpus or not loads or max(loads) <= cpus:
        return None
    return f"load average up to {max(loads):.1f} on {cpus} cores; its figures are noisy"


def print_rows(rows: list[Row]) -> None:
    print(
        f"{'benchmark':<12} {'figure':<44} {'before':>11} {'after':>11} {'raw':>6} "
        f"{'machine':>7} {'calib.':>6}  verdict"
    )
    for row in rows:
        if row.flagged:
            verdict = f"WORSE by {row.worse_by - 1:.0%}"
        elif row.worse_by < 1:
            verdict = f"better by {1 / row.worse_by - 1:.0%}"
        else:
            verdict = f"within ({row.worse_by - 1:.0%} worse)"
        print(
            f"{row.benchmark:<12} {row.figure[:44]:<44} {row.before:>11,.1f} {row.after:>11,.1f} "
            f"{row.raw_ratio:>6.2f} {row.machine_ratio:>7.2f} {row.calibrated_ratio:>6.2f}  "
            f"{verdict} ({row.unit})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", type=Path, help="run_all.py JSON of the reference run")
    parser.add_argument("after", type=Path, help="run_all.py JSON of the run to judge")
    parser.add_argument("--threshold", type=float, default=0.20, help="0.20: 20 %% worse")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a benchmark failed")
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text())
    after = json.loads(args.after.read_text())
    rows, notes = compare_runs(before, after, args.threshold)
    print_rows(rows)
    for note in notes:
        print(f"note: {note}")
    flagged = [row for row in rows if row.flagged]
    print(f"\n{len(flagged)} of {len(rows)} figures more than {args.threshold:.0%} worse")
    failed = args.strict and any("failed" in note for note in notes)
    return 1 if flagged or failed else 0


if __name__ == "__main__":
    sys.exit(main())
