"""Health per module: each app registers its checks; a report says ok, warn or fail.

A check returns a ``ModuleCheck`` (status and a detail an operator can act on). A module's
status is its worst check's, the report's the worst module's. Thresholds live in
settings.HEALTH_MODULE_THRESHOLDS (seconds, ``(warn, fail)``), documented in
docs/monitoring.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from synapscale.health.checks import run_checks_cached
from synapscale.monitoring.schedule_marks import schedule_marks_read

logger = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warn", "fail"
_RANK = {OK: 0, WARN: 1, FAIL: 2}


@dataclass(frozen=True)
class ModuleCheck:
    status: str
    detail: dict = field(default_factory=dict)


def worst(statuses) -> str:
    return max(statuses, key=_RANK.__getitem__, default=OK)


def threshold(name: str) -> tuple[float, float]:
    warn, fail = settings.HEALTH_MODULE_THRESHOLDS[name]
    return float(warn), float(fail)


def age_check(
    name: str, age_seconds: float | None, *, missing: str = WARN, **detail
) -> ModuleCheck:
    """``ok`` under the warn threshold of ``name``, ``warn`` under its fail one, else ``fail``.

    An age never recorded (None) is ``missing``.
    """
    warn, fail = threshold(name)
    if age_seconds is None:
        return ModuleCheck(
            missing, {**detail, "age_seconds": None, "warn_after": warn, "fail_after": fail}
        )
    status = OK if age_seconds < warn else WARN if age_seconds < fail else FAIL
    return ModuleCheck(
        status,
        {**detail, "age_seconds": round(age_seconds, 1), "warn_after": warn, "fail_after": fail},
    )


def schedule_success_check(entry: str, threshold_name: str) -> ModuleCheck:
    """How long ago a worker last finished the schedule entry ``entry``."""
    marks = schedule_marks_read()
    succeeded = marks.succeeded.get(entry)
    age = time.time() - succeeded if succeeded is not None else None
    return age_check(threshold_name, age, entry=entry)


Check = Callable[[], ModuleCheck]
_modules: dict[str, dict[str, Check]] = {}


def register_module_check(module: str, name: str, check: Check) -> None:
    _modules.setdefault(module, {})[name] = check


def _run(module: str, name: str, check: Check) -> ModuleCheck:
    try:
        return check()
    except Exception:  # one broken check must not hide the others
        logger.warning("module_check_failed module=%s check=%s", module, name, exc_info=True)
        return ModuleCheck(FAIL, {"error": "the check could not run"})


def modules_report() -> dict:
    """``{"status", "modules": {module: {"status", "checks": {name: {"status", ...}}}}}``."""
    modules = {}
    for module, checks in sorted(_modules.items()):
        results = {name: _run(module, name, check) for name, check in sorted(checks.items())}
        modules[module] = {
            "status": worst(result.status for result in results.values()),
            "checks": {name: {"status": r.status, **r.detail} for name, r in results.items()},
        }
    return {"status": worst(m["status"] for m in modules.values()), "modules": modules}


_last: tuple[float, dict] | None = None
_lock = threading.Lock()


def modules_report_cached() -> dict:
    """The last report if younger than HEALTH_CACHE_SECONDS, else a new one (one at a time)."""
    global _last
    with _lock:
        if _last is not None and time.monotonic() - _last[0] < settings.HEALTH_CACHE_SECONDS:
            return _last[1]
        report = modules_report()
        _last = (time.monotonic(), report)
        return report


def _dependency(name: str) -> Check:
    def check() -> ModuleCheck:
        result = next(r for r in run_checks_cached() if r.name == name)
        detail = {key: value for key, value in result.as_dict().items() if key != "status"}
        return ModuleCheck(OK if result.ok else FAIL, detail)

    return check


def beat_check() -> ModuleCheck:
    tick = schedule_marks_read().beat_tick
    return age_check("beat_tick", time.time() - tick if tick is not None else None, missing=FAIL)


def register_platform_checks() -> None:
    for name in ("database", "cache", "broker"):
        register_module_check("platform", name, _dependency(name))
    register_module_check("platform", "beat", beat_check)
