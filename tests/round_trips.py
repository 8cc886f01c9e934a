"""Count what a hot path costs: database transactions and statements, Redis commands.

Counted where they happen, not estimated: transactions through Django's connection (each
statement outside a transaction is one, each commit of a transaction that ran statements is
one), Redis commands through the server's MONITOR stream (every command any client sent,
while the block ran; commands that a Lua script runs inside the server are not client
commands and are left out).
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django_redis import get_redis_connection


@dataclass
class TransactionLog:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    _open: bool = False

    def execute(self, execute, sql, params, many, context):
        self.statements.append(sql)
        if connection.in_atomic_block:
            self._open = True
        else:
            self.transactions += 1
        return execute(sql, params, many, context)

    def committed(self) -> None:
        if self._open:
            self.transactions += 1
            self._open = False


@contextmanager
def count_transactions():
    """Yield a TransactionLog of what the default connection runs inside the block."""
    log = TransactionLog()
    real_commit = connection.commit

    def commit():
        real_commit()
        log.committed()

    connection.commit = commit
    try:
        with connection.execute_wrapper(log.execute):
            yield log
    finally:
        del connection.commit  # back to the class's method


@dataclass
class RedisCommandLog:
    commands: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.commands)


@contextmanager
def count_redis_commands():
    """Yield a RedisCommandLog of the commands clients send to the cache's Redis server."""
    client = get_redis_connection("default")
    # Connections of their own, set up before the count starts, so that neither the monitor
    # nor the stop signal opens a connection (HELLO, SELECT) while commands are counted.
    listener_client, stopper = (_private_client(client) for _ in range(2))
    database = client.connection_pool.connection_kwargs.get("db", 0)
    log = RedisCommandLog()
    sentinel = f"round-trips-stop-{uuid.uuid4().hex}"
    ready = threading.Event()

    def listen():
        with listener_client.monitor() as monitor:
            ready.set()
            while True:
                entry = monitor.next_command()
                command = entry["command"]
                if sentinel in command:
                    return
                # Other databases are other users of the server (a benchmark, another suite).
                if entry.get("client_type") == "lua" or int(entry.get("db", -1)) != database:
                    continue
                log.commands.append(command)

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(5)
    try:
        yield log
    finally:
        stopper.echo(sentinel)
        listener.join(10)
        stopper.close()
        listener_client.close()


def _private_client(client):
    pool = client.connection_pool
    private = type(client)(
        connection_pool=type(pool)(connection_class=pool.connection_class, **pool.connection_kwargs)
    )
    private.ping()
    return private
