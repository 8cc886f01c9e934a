"""What one measurement costs the services: PostgreSQL, Redis and SQL statement counters.

Each probe takes a snapshot before and after a measurement and subtracts, leaving out its
own traffic where it adds to the counter (its queries, its INFO calls).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from benchmarks._http_load import _OPENER
from benchmarks._procs import wait_until

SIZE_TABLES = (
    "executions_execution",
    "executions_noderun",
    "executions_executionlog",
    "executions_workflowversion",
    "analytics_event",
)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = (len(ordered) - 1) * fraction
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


@dataclass
class PgSnapshot:
    xact_commit: int
    xact_rollback: int
    bytes: int
    own_xacts: int


class PgProbe:
    """Counters of the benchmark database, read from the maintenance database.

    Queries on the benchmark database itself (counts, sizes) are transactions there too;
    `own_xacts` counts them so they can be subtracted.
    """

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        self.bench = psycopg.connect(url, autocommit=True)
        self.maint = psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)
        self.own_xacts = 0
        self.tables = [t for t in SIZE_TABLES if self.query("SELECT to_regclass(%s)", [t])[0][0]]

    def close(self) -> None:
        self.bench.close()
        self.maint.close()

    def query(self, sql: str, params=None) -> list[tuple]:
        self.own_xacts += 1
        return self.bench.execute(sql, params).fetchall()

    def now(self):
        return self.maint.execute("SELECT clock_timestamp()").fetchone()[0]

    def stat(self) -> tuple[int, int]:
        row = self.maint.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = %s",
            [self.name],
        ).fetchone()
        return int(row[0]), int(row[1])

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until the server's counters stop moving (backends flush stats within ~1 s)."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            current = self.stat()
            if current == last:
                return
            last = current
            time.sleep(1.2)

    def snapshot(self) -> PgSnapshot:
        self.settle()
        size_sql = " + ".join("pg_total_relation_size(%s)" for _ in self.tables) or "0"
        size = int(self.query(f"SELECT {size_sql}", self.tables)[0][0])
        commit, rollback = self.stat()
        return PgSnapshot(commit, rollback, size, self.own_xacts)

    @staticmethod
    def delta(before: PgSnapshot, after: PgSnapshot) -> dict:
        own = after.own_xacts - before.own_xacts
        return {
            "xact_commit": after.xact_commit - before.xact_commit - own,
            "xact_rollback": after.xact_rollback - before.xact_rollback,
            "bytes": after.bytes - before.bytes,
        }

    # -- executions of the benchmark workflow ---------------------------------------------
    def unfinished(self, workflow_id: int) -> int:
        return self.query(
            "SELECT count(*) FROM executions_execution WHERE workflow_id = %s "
            "AND finished_at IS NULL",
            [workflow_id],
        )[0][0]

    def drain(self, workflow_id: int, *, timeout: float, stall_s: float = 60) -> dict:
        """Wait until the workflow has no unfinished execution; give up after timeout, or
        after stall_s seconds without progress. Return how long it took and what was left."""
        started, stall = time.monotonic(), {"count": None, "since": time.monotonic()}

        def drained() -> bool:
            count = self.unfinished(workflow_id)
            if count != stall["count"]:
                stall.update(count=count, since=time.monotonic())
            return count == 0 or time.monotonic() - stall["since"] > stall_s

        wait_until(drained, timeout=timeout, interval=0.5)
        return {
            "drain_s": round(time.monotonic() - started, 1),
            "unfinished_after_drain": stall["count"],
        }

    def window_counts(self, workflow_id: int, t0, t1) -> dict:
        """Finished inside [t0, t1], and created by t1 but unfinished at t1 (the queue)."""
        row = self.query(
            "SELECT count(*) FILTER (WHERE finished_at >= %(t0)s AND finished_at <= %(t1)s),"
            " count(*) FILTER (WHERE created_at <= %(t1)s"
            "   AND (finished_at IS NULL OR finished_at > %(t1)s))"
            " FROM executions_execution WHERE workflow_id = %(w)s AND created_at >= %(t0)s",
            {"t0": t0, "t1": t1, "w": workflow_id},
        )[0]
        return {"finished_in_window": row[0], "queue_left_at_end": row[1]}

    def created_since(self, workflow_id: int, t0, t1) -> dict:
        """Statuses and submit-to-finish latency of the executions created since t0."""
        rows = self.query(
            "SELECT status, created_at <= %(t1)s,"
            " EXTRACT(EPOCH FROM (finished_at - created_at)) * 1000"
            " FROM executions_execution WHERE workflow_id = %(w)s AND created_at >= %(t0)s",
            {"t0": t0, "t1": t1, "w": workflow_id},
        )
        statuses: dict[str, int] = {}
        latencies = []
        for status, in_window, ms in rows:
            statuses[status] = statuses.get(status, 0) + 1
            if in_window and ms is not None:
                latencies.append(float(ms))
        return {
            "created": len(rows),
            "statuses": statuses,
            "server_p50_ms": percentile(latencies, 0.5),
            "server_p95_ms": percentile(latencies, 0.95),
        }


class RedisProbe:
    """Commands processed by the Redis server (all databases: INFO is server-wide)."""

    # Each snapshot sends INFO stats, INFO commandstats and CLIENT LIST: 3 commands.
    OWN_COMMANDS = {"info": 2, "client|list": 1}

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_timeout=5)
        self.db = self.client.connection_pool.connection_kwargs.get("db", 0)
        # Connecting sends a few commands of its own: done here, before any snapshot.
        self.me = self.client.client_id()

    def close(self) -> None:
        self.client.close()

    def snapshot(self) -> dict:
        total = int(self.client.info("stats")["total_commands_processed"])
        commands = {
            name.removeprefix("cmdstat_"): int(stats["calls"])
            for name, stats in self.client.info("commandstats").items()
        }
        others = {
            int(c.get("db", 0))
            for c in self.client.client_list()
            if int(c["id"]) != self.me and int(c.get("db", 0)) != self.db
        }
        return {"total": total, "commands": commands, "other_dbs": sorted(others)}

    def delta(self, before: dict, after: dict) -> dict:
        own = sum(self.OWN_COMMANDS.values())
        by_command = {}
        for name, calls in after["commands"].items():
            diff = calls - before["commands"].get(name, 0) - self.OWN_COMMANDS.get(name, 0)
            if diff > 0:
                by_command[name] = diff
        top = dict(sorted(by_command.items(), key=lambda kv: -kv[1])[:10])
        return {
            "commands": after["total"] - before["total"] - own,
            "top_commands": top,
            "clients_on_other_dbs": sorted(set(before["other_dbs"]) | set(after["other_dbs"])),
        }


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def sql_statements(base_url: str) -> int | None:
    """Sum django-prometheus's statement counters over every process (multiprocess mode)."""
    try:
        with _OPENER.open(f"{base_url}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return None
    total, seen = 0.0, False
    for line in text.splitlines():
        if line.startswith(("django_db_execute_total{", "django_db_execute_many_total{")):
            total += float(line.rsplit(" ", 1)[1])
            seen = True
    return int(total) if seen else None
