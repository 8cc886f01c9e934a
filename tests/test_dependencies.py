"""Every package the code imports is pinned, and every pin is used (deptry, offline)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_deptry_finds_nothing_but_the_expected(tmp_path):
    report = tmp_path / "deps.json"
    run = subprocess.run(
        [sys.executable, "scripts/dependency_report.py", "--offline", "--json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    findings = json.loads(report.read_text())["deptry"]
    assert findings, "deptry found nothing: it read no requirements (the report would be blind)"
    assert [f for f in findings if not f["expected"]] == [], run.stdout
    assert run.returncode == 0
