"""The machine side: the state file, the bridge and namespaces, processes inside them.

Everything created is written to the state file first, so `down` (and the cleanup after a
failed `up`) removes exactly what this script made, and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from . import topology

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BASE_PATH = (
    "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)


class ClusterError(RuntimeError):
    """A step failed: the command says what, the caller cleans up."""


def run(argv: list[str], *, timeout: float = 60, check: bool = True, **kwargs) -> str:
    """Run a command to completion within timeout; return its stdout."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as error:
        raise ClusterError(f"timed out after {timeout}s: {' '.join(argv)}") from error
    if check and done.returncode != 0:
        raise ClusterError(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-2000:]}")
    return done.stdout


def in_namespace(host_name: str, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", topology.host(host_name).namespace, *argv]


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.25) -> float:
    """Poll predicate until true; return the seconds it took, or raise after timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(interval)
    raise ClusterError(f"{what}: not within {timeout:.0f}s")


class State:
    """The cluster's state file (<dir>/state.json): what exists, where, with which secrets."""

    def __init__(self, directory: Path):
        self.path = directory / "state.json"
        self.data: dict = {}

    def load(self) -> State:
        if not self.path.exists():
            raise ClusterError(f"no cluster at {self.path.parent}: run `scripts/cluster.py up`")
        self.data = json.loads(self.path.read_text())
        return self

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, indent=2))
        temporary.replace(self.path)

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value) -> None:
        self.data[key] = value
        self.save()

    def get(self, key, default=None):
        return self.data.get(key, default)

    def log(self, name: str) -> Path:
        return Path(self.data["dir"]) / "logs" / f"{name}.log"


def subnet_in_use() -> str | None:
    """Return the route that already covers the cluster's subnet, if any."""
    for line in run(["ip", "-o", "route", "show"]).splitlines():
        destination = line.split()[0]
        if destination.startswith("10.77.0."):
            return line
    return None


def create_network(state: State) -> None:
    """The bridge with the root namespace's address, one namespace and veth pair per host."""
    topology.check_addresses()
    existing = subnet_in_use()
    if existing:
        raise ClusterError(f"{topology.SUBNET} is already routed ({existing}): run `down` first")
    state["bridge"] = topology.BRIDGE
    run(["ip", "link", "add", topology.BRIDGE, "type", "bridge"])
    run(["ip", "addr", "add", f"{topology.BRIDGE_ADDRESS}/24", "dev", topology.BRIDGE])
    run(["ip", "link", "set", topology.BRIDGE, "up"])
    namespaces = []
    for item in topology.HOSTS:
        namespaces.append(item.namespace)
        state["namespaces"] = namespaces  # saved before it exists: a failure still removes it
        run(["ip", "netns", "add", item.namespace])
        run(
            [
                "ip",
                "link",
                "add",
                item.veth,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                item.namespace,
            ]
        )
        run(["ip", "link", "set", item.veth, "master", topology.BRIDGE, "up"])
        inside = ["ip", "netns", "exec", item.namespace, "ip"]
        run([*inside, "addr", "add", f"{item.address}/24", "dev", "eth0"])
        run([*inside, "link", "set", "eth0", "up"])
        run([*inside, "link", "set", "lo", "up"])


def remove_network(state: State) -> None:
    for namespace in state.get("namespaces", []):
        run(["ip", "netns", "del", namespace], check=False)  # its veth end goes with it
    for item in topology.HOSTS:
        run(["ip", "link", "del", item.veth], check=False)
    if state.get("bridge"):
        run(["ip", "link", "del", state["bridge"]], check=False)


def start(state: State, name: str, host_name: str, argv: list[str], *, env: dict) -> int:
    """Start argv on a host, logging to <dir>/logs/<name>.log; record and return its pid."""
    log = state.log(name)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            in_namespace(host_name, argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # its own process group: signals reach its children
        )
    processes = dict(state.get("processes", {}))
    processes[name] = {"host": host_name, "pid": process.pid}
    state["processes"] = processes
    return process.pid


def namespace_pids(host_name: str) -> list[int]:
    namespace = topology.host(host_name).namespace
    output = run(["ip", "netns", "pids", namespace], check=False)
    return [int(pid) for pid in output.split()]


def signal_host(host_name: str, signum: int) -> list[int]:
    """Send signum to every process in the host's namespace (all of them are ours)."""
    pids = namespace_pids(host_name)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
    return pids


def stop_host(host_name: str, *, grace: float = 15) -> None:
    """SIGTERM everything on the host, then SIGKILL what is left after grace seconds."""
    signal_host(host_name, signal.SIGTERM)
    try:
        wait_until(lambda: not namespace_pids(host_name), timeout=grace, what=host_name)
    except ClusterError:
        signal_host(host_name, signal.SIGKILL)
        wait_until(lambda: not namespace_pids(host_name), timeout=10, what=f"{host_name} killed")


def base_environment() -> dict:
    """What every process inherits: a PATH and a locale, not this shell's variables."""
    return {"PATH": BASE_PATH, "LANG": "C.UTF-8", "HOME": "/root"}
