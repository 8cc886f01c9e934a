#!/usr/bin/env python3
"""A SynapScale cluster on one Linux machine, each host its own network namespace.

    scripts/cluster.py up      # bridge + namespaces; PostgreSQL primary and hot standby, Redis,
                               # RabbitMQ, 2 gunicorn web hosts behind haproxy, 3 execution
                               # worker hosts, 1 analytics worker host, 1 beat
    scripts/cluster.py load    # bounded traffic through the balancer; scaling over 1-3 workers
    scripts/cluster.py chaos   # kill a worker host and a web host, fail PostgreSQL over; count
    scripts/cluster.py down    # remove every process, namespace, interface and directory

Root only (it creates network namespaces). Everything it makes is listed in <dir>/state.json,
which `down` reads; a command that fails removes the cluster by itself. docs/scaling.md has
the topology and the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# The checkout's venv has what the script imports (psycopg, httpx, cryptography): run in it.
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() and VENV_PYTHON.exists():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])

sys.path.insert(0, str(ROOT / "scripts"))

from cluster_kit import hosts, services, topology  # noqa: E402

DEFAULT_DIR = Path("/tmp/synapscale-cluster")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/cluster.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See docs/scaling.md for the topology, the figures and the failover steps.",
    )
    parser.add_argument(
        "--dir",
        type=lambda value: Path(value).resolve(),
        default=DEFAULT_DIR,
        help="data, logs and the state file; the postgres user must be able to reach it",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="build the network and start every host")
    up.add_argument(
        "--broker",
        choices=("rabbitmq", "redis"),
        default="rabbitmq",
        help="Celery broker: RabbitMQ on its own host, or the Redis host",
    )
    load = commands.add_parser("load", help="bounded load through the balancer, then scaling")
    load.add_argument("--seconds", type=float, default=20, help="length of the mixed load")
    load.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    load.add_argument(
        "--runs-per-host",
        type=int,
        default=40,
        help="scaling: executions queued per execution worker host",
    )
    load.add_argument("--skip-scaling", action="store_true", help="only the mixed load")
    chaos = commands.add_parser("chaos", help="faults during load; counts lost and doubled")
    chaos.add_argument("--seconds", type=float, default=60, help="length of the load")
    chaos.add_argument(
        "--drain-seconds",
        type=float,
        default=180,
        help="how long to wait for every accepted execution to finish",
    )
    commands.add_parser("down", help="stop and remove everything `up` created")
    return parser.parse_args(argv)


def require_root() -> None:
    if os.geteuid() != 0:
        raise SystemExit("scripts/cluster.py needs root (network namespaces, runuser)")


def command_up(args: argparse.Namespace) -> None:
    if (args.dir / "state.json").exists():
        raise SystemExit(f"a cluster is already at {args.dir}: `scripts/cluster.py down` first")
    state = hosts.State(args.dir)
    state.data = {
        "dir": str(args.dir),
        "broker": args.broker,
        "primary": "pg1",
        "standby": "pg2",
        "media_root": str(args.dir / "media"),
        "secrets": services.new_secrets(),
    }
    state.save()
    (args.dir / "media").mkdir(parents=True, exist_ok=True)
    try:
        services.bring_up(state)
    except BaseException:
        print("up failed: removing what it created", file=sys.stderr)
        print(f"(logs kept in {args.dir}/logs until then)", file=sys.stderr)
        tail_logs(state)
        tear_down(state)
        raise
    print(f"cluster up; state in {state.path}")


def tail_logs(state: hosts.State) -> None:
    logs = Path(state["dir"]) / "logs"
    for log in sorted(logs.glob("*.log")) if logs.exists() else []:
        lines = log.read_text(errors="replace").splitlines()[-5:]
        if lines:
            print(f"--- {log.name}", *lines, sep="\n", file=sys.stderr)


def tear_down(state: hosts.State) -> None:
    """Every process on every host, then the namespaces, the interfaces and the directory."""
    for name in reversed((*topology.APP_HOSTS, "lb", "mq", "redis", "pg2", "pg1")):
        if topology.host(name).namespace in state.get("namespaces", []):
            try:
                hosts.stop_host(name, grace=10)
            except hosts.ClusterError as error:
                print(f"warning: {error}", file=sys.stderr)
    hosts.remove_network(state)
    shutil.rmtree(state["dir"], ignore_errors=True)


def command_down(args: argparse.Namespace) -> None:
    state = hosts.State(args.dir)
    if not state.path.exists():
        print(f"nothing to remove at {args.dir}")
        return
    tear_down(state.load())
    print("cluster removed: processes, namespaces, bridge and", args.dir)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    require_root()
    if args.command == "up":
        command_up(args)
    elif args.command == "down":
        command_down(args)
    else:
        from cluster_kit import chaos, load

        state = hosts.State(args.dir).load()
        try:
            (load.command_load if args.command == "load" else chaos.command_chaos)(state, args)
        except BaseException:
            # A half-run fault injection leaves no cluster that could be trusted: remove it.
            print(f"{args.command} failed: removing the cluster", file=sys.stderr)
            tail_logs(state)
            tear_down(state)
            raise


if __name__ == "__main__":
    main()
