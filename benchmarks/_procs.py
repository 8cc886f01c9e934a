"""Processes of a benchmark: start each in its own group, stop only those, sample memory/CPU.

Every server a benchmark starts goes through `Processes.start`, which puts it in a new
session (so its process group id is its pid) and remembers it; `stop`/`stop_all` signal
only those groups, by id. The sampler reads PSS from /proc/PID/smaps_rollup.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Processes:
    """The process groups this benchmark started."""

    def __init__(self) -> None:
        self._started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], *, env: dict, cwd: Path, log: Path):
        """Start argv in a new session, output to log; return the Popen."""
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._started[name] = proc
        return proc

    def get(self, name: str) -> subprocess.Popen | None:
        return self._started.get(name)

    def stop(self, name: str, timeout: float = 30) -> None:
        """Stop the group of `name` (TERM, then KILL after timeout), if it was started."""
        proc = self._started.pop(name, None)
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Children that outlived their leader still carry its group id.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in reversed(list(self._started)):
            self.stop(name)


def run_bounded(argv: list[str], *, timeout: float, capture_output: bool = False, **kwargs):
    """Run a short command in its own group; kill the group if it outlives timeout."""
    if capture_output:
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc = subprocess.Popen(argv, start_new_session=True, text=True, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """Return the pids below pid (not pid itself)."""
    children = _children_map() if children is None else children
    found, stack = [], list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def tree(pid: int | None) -> list[int]:
    """Return pid and its descendants, or [] when pid is None or gone."""
    if pid is None or not Path(f"/proc/{pid}").exists():
        return []
    return [pid, *descendants(pid)]


def memory_kb(pid: int) -> tuple[int, int]:
    """Return (PSS, RSS) of pid in kB from smaps_rollup, (0, 0) when it is gone."""
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except (OSError, ValueError):
        return 0, 0
    return pss, rss


def cpu_seconds(pids: list[int]) -> float:
    """Return user+system CPU seconds of the given live processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def machine_busy() -> tuple[float, float]:
    """Return (busy, total) jiffies of the machine from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class MemoryPeak:
    """Peaks over the samples: the largest total, and the largest value of each role."""

    total_pss_kb: int = 0
    total_rss_kb: int = 0
    roles_pss_kb: dict[str, int] = field(default_factory=dict)
    roles_rss_kb: dict[str, int] = field(default_factory=dict)
    samples: int = 0

    def as_dict(self) -> dict:
        mb = 1024
        return {
            "pss_total_max_mb": round(self.total_pss_kb / mb, 1),
            "rss_total_max_mb": round(self.total_rss_kb / mb, 1),
            "pss_max_mb_by_role": {k: round(v / mb, 1) for k, v in self.roles_pss_kb.items()},
            "rss_max_mb_by_role": {k: round(v / mb, 1) for k, v in self.roles_rss_kb.items()},
            "samples": self.samples,
        }


class MemorySampler:
    """Sample PSS/RSS of each role's processes every `interval` seconds in a thread.

    `roles` maps a role name to a function returning that role's pids at sampling time.
    """

    def __init__(self, roles: dict[str, Callable[[], list[int]]], interval: float = 0.5):
        self.roles, self.interval = roles, interval
        self.peak = MemoryPeak()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        total_pss = total_rss = 0
        for role, pids in self.roles.items():
            pss = rss = 0
            for pid in pids():
                p, r = memory_kb(pid)
                pss, rss = pss + p, rss + r
            total_pss, total_rss = total_pss + pss, total_rss + rss
            peak = self.peak
            peak.roles_pss_kb[role] = max(peak.roles_pss_kb.get(role, 0), pss)
            peak.roles_rss_kb[role] = max(peak.roles_rss_kb.get(role, 0), rss)
        self.peak.total_pss_kb = max(self.peak.total_pss_kb, total_pss)
        self.peak.total_rss_kb = max(self.peak.total_rss_kb, total_rss)
        self.peak.samples += 1


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    """Poll check() until it is true (return True) or timeout passes (return False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
