"""benchmarks/compare.py's arithmetic, on two hand-written run_all.py files."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks.compare import compare_runs, machine_ratio, main


def run(calibration: dict, figures: dict, **extra) -> dict:
    return {"figures": figures, "calibration": calibration, **extra}


def figure(value, better, calibrate="both", unit="ms"):
    return {"value": value, "unit": unit, "better": better, "calibrate": calibrate}


# Run B's machine: the CPU loop 2x slower, PostgreSQL round trips 1.28x slower.
BEFORE = {
    "benchmarks": {
        "ingest": run(
            {"cpu_loop_ms": 50.0, "pg_round_trip_ms": 0.1},
            {
                "api_events_per_s": figure(40_000, "higher", "cpu", "events/s"),
                "copy_rows_per_s": figure(80_000, "higher", "pg", "rows/s"),
            },
        ),
        "analysis": run(
            {"cpu_loop_ms": 50.0, "pg_round_trip_ms": 0.1},
            {
                "trends": figure(200.0, "lower", "both"),
                "funnels": figure(100.0, "lower", "pg"),
                "pss": figure(300.0, "lower", "none", "MB"),
                "gone": figure(1.0, "lower"),
            },
        ),
        "marketplace": run({"cpu_loop_ms": 50.0, "pg_round_trip_ms": 0.1}, {}),
    }
}
AFTER = {
    "benchmarks": {
        "ingest": run(
            {"cpu_loop_ms": 100.0, "pg_round_trip_ms": 0.128},
            {
                # Half the rate on a machine twice as slow: the same, calibrated.
                "api_events_per_s": figure(20_000, "higher", "cpu", "events/s"),
                # 60 % of the rate on a 1.28x slower server: 0.768 calibrated, 30 % worse.
                "copy_rows_per_s": figure(48_000, "higher", "pg", "rows/s"),
            },
        ),
        "analysis": run(
            {"cpu_loop_ms": 100.0, "pg_round_trip_ms": 0.128},
            {
                # sqrt(2 * 1.28) = 1.6: 320 ms is the same speed, 352 ms is 10 % worse.
                "trends": figure(352.0, "lower", "both"),
                # 1.28x the time on a 1.28x slower server: no change.
                "funnels": figure(128.0, "lower", "pg"),
                # Not calibrated: 25 % more memory is 25 % worse whatever the CPU.
                "pss": figure(375.0, "lower", "none", "MB"),
                "new": figure(1.0, "lower"),
            },
        ),
        "marketplace": {"benchmark": "marketplace", "error": "exited with 1"},
    }
}


def by_name(rows):
    return {row.figure: row for row in rows}


def test_machine_ratio_per_kind():
    before = {"cpu_loop_ms": 50.0, "pg_round_trip_ms": 0.1}
    after = {"cpu_loop_ms": 100.0, "pg_round_trip_ms": 0.128}
    assert machine_ratio(before, after, "cpu") == pytest.approx(2.0)
    assert machine_ratio(before, after, "pg") == pytest.approx(1.28)
    assert machine_ratio(before, after, "both") == pytest.approx(1.6)
    assert machine_ratio(before, after, "none") == 1.0


def test_calibrated_ratios_flag_only_what_got_more_than_20_percent_worse():
    rows, notes = compare_runs(BEFORE, AFTER)
    rows = by_name(rows)
    assert rows["api_events_per_s"].raw_ratio == pytest.approx(0.5)
    assert rows["api_events_per_s"].calibrated_ratio == pytest.approx(1.0)
    assert not rows["api_events_per_s"].flagged
    assert rows["copy_rows_per_s"].calibrated_ratio == pytest.approx(0.768)
    assert rows["copy_rows_per_s"].worse_by == pytest.approx(1 / 0.768)
    assert rows["copy_rows_per_s"].flagged
    assert rows["trends"].calibrated_ratio == pytest.approx(1.1)
    assert not rows["trends"].flagged
    assert rows["funnels"].calibrated_ratio == pytest.approx(1.0)
    assert rows["pss"].machine_ratio == 1.0
    assert rows["pss"].worse_by == pytest.approx(1.25)
    assert rows["pss"].flagged
    assert sorted(notes) == [
        "analysis: 'gone' only in the first run",
        "analysis: 'new' only in the second run",
        "marketplace: failed in the second run, not compared",
    ]


def test_the_threshold_is_a_parameter():
    rows, _ = compare_runs(BEFORE, AFTER, threshold=0.05)
    assert by_name(rows)["trends"].flagged  # 10 % worse is over 5 %


def test_a_figure_that_was_zero():
    zero = {"benchmarks": {"load": run(BEFORE["benchmarks"]["ingest"]["calibration"], {})}}
    zero["benchmarks"]["load"]["figures"] = {"errors": figure(0, "lower", "none", "")}
    same = json.loads(json.dumps(zero))
    more = json.loads(json.dumps(zero))
    more["benchmarks"]["load"]["figures"]["errors"]["value"] = 3
    assert not compare_runs(zero, same)[0][0].flagged
    worse = compare_runs(zero, more)[0][0]
    assert worse.flagged and math.isinf(worse.worse_by)


def test_the_command_exits_1_on_a_regression_and_0_without(tmp_path, capsys):
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(BEFORE))
    after.write_text(json.dumps(AFTER))
    assert main([str(before), str(after)]) == 1
    out = capsys.readouterr().out
    assert "WORSE by 30%" in out  # copy_rows_per_s: 1 / 0.768 = 1.30
    assert "2 of 5 figures more than 20% worse" in out
    assert main([str(before), str(before)]) == 0
    assert main([str(before), str(after), "--threshold", "0.5"]) == 0
    assert main([str(before), str(after), "--threshold", "0.5", "--strict"]) == 1


def test_a_run_on_a_busy_machine_is_noted():
    busy = json.loads(json.dumps(BEFORE))
    busy["benchmarks"]["ingest"]["machine"] = {"cpus": 2, "load_average_1m": [1.5, 9.25]}
    busy["benchmarks"]["analysis"]["machine"] = {"cpus": 2, "load_average_1m": [1.0, 2.0]}
    _, notes = compare_runs(busy, AFTER)
    assert (
        "ingest: the machine was busy in the first run (load average up to 9.2 on 2 cores; "
        "its figures are noisy)" in notes
    )
    assert not any(note.startswith("analysis: the machine") for note in notes)
