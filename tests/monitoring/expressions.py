"""Every PromQL expression of monitoring/: dashboard panel targets and alert rules."""

from __future__ import annotations

import json
import re

import yaml

from tests.monitoring.prometheus_server import MONITORING

METRIC_NAME = re.compile(r"\b((?:synapscale|django|process)_[a-z0-9_]+)\b")
_COMPARISON = re.compile(r"\s*(?:>|<|==|>=|<=)\s*[0-9.]+\s*$")


def dashboard_expressions() -> dict[str, str]:
    """``{"<dashboard> / <panel> / <refId>": expr}`` for every panel target."""
    found = {}
    for path in sorted((MONITORING / "grafana" / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                found[f"{path.stem} / {panel['title']} / {target['refId']}"] = target["expr"]
    return found


def alert_expressions() -> dict[str, str]:
    found = {}
    for path in sorted((MONITORING / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                found[rule["alert"]] = rule["expr"].strip()
    return found


def alert_signals(expr: str) -> list[str]:
    """What an alert compares against its threshold: ``a > 0.05 and on() b > 0.1`` gives
    ``[a, b]``; ``absent(x == 1)`` gives ``[x == 1]``. These return data on a live system
    even when the alert does not fire."""
    if expr.startswith("absent(") and expr.endswith(")"):
        return [expr[len("absent(") : -1]]
    return [_COMPARISON.sub("", part.strip()) for part in expr.split("and on()")]


def metric_names(expr: str) -> set[str]:
    return set(METRIC_NAME.findall(expr))
