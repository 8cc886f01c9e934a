"""Reads that may lag go to the read replica; everything else, and every write, to the primary.

With ``DATABASE_REPLICA_URL`` set, ``DATABASES["replica"]`` is a PostgreSQL streaming
standby and ``ReplicaRouter`` is installed. A read goes to the replica only inside
``lag_tolerant_reads()``: the analytics computations (metrics, analyses, dashboard
queries) declare that a few seconds of replication lag do not matter to them. Every
other read stays on the primary, so an object a client just created is always found.

Read-your-writes: once a request or a task has written through the ORM (the router sees
every write), its later reads go to the primary even inside ``lag_tolerant_reads()``, so
a report run that has just stored rows, or a request that just ingested events and then
asks for a metric, never reads a replica that has not caught up. ``routing_scope()``
starts each request (``ReplicaRoutingMiddleware``) and each Celery task (config/celery_app.py)
with a clean slate; ``primary_pin()`` pins the rest of one explicitly (for a write made with raw
SQL, which the router does not see).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
ROUTER = "synapscale.db_routing.ReplicaRouter"

_may_lag: ContextVar[bool] = ContextVar("replica_reads_may_lag", default=False)
_wrote: ContextVar[bool] = ContextVar("replica_context_wrote", default=False)


@contextmanager
def lag_tolerant_reads() -> Iterator[str]:
    """Let the block's reads go to the replica; yield the alias they go to now.

    Raw SQL in the block uses the yielded alias (or ``router.db_for_read(Model)``), as the
    router only sees ORM queries.
    """
    token = _may_lag.set(True)
    try:
        yield router.db_for_read(None)
    finally:
        _may_lag.reset(token)


def primary_pin() -> None:
    """Send the rest of this request's or task's reads to the primary (after a raw SQL write)."""
    _wrote.set(True)


@contextmanager
def routing_scope() -> Iterator[None]:
    """Start a request or a task as one that has not written and reads nothing that may lag."""
    may_lag, wrote = _may_lag.set(False), _wrote.set(False)
    try:
        yield
    finally:
        _wrote.reset(wrote)
        _may_lag.reset(may_lag)


def scope_begin() -> None:
    """Start a task's scope (Celery's prerun and postrun signals cannot wrap the task)."""
    _may_lag.set(False)
    _wrote.set(False)


class ReplicaRouter:
    """Route lag-tolerant reads to ``replica`` unless this request or task has written."""

    def db_for_read(self, model, **hints):
        if _may_lag.get() and not _wrote.get() and REPLICA in settings.DATABASES:
            return REPLICA
        # Explicitly, not None: Django would otherwise read an object's relations from the
        # database the object came from, the replica, outside any lag-tolerant block.
        return PRIMARY

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: objects from either may be related.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None} or None

    def allow_migrate(self, db, app_label, **hints):
        # A standby replays the primary's WAL (its schema included) and refuses writes.
        return False if db == REPLICA else None


class ReplicaRoutingMiddleware:
    """Give every request its own routing scope (what it wrote, whether it may read lag)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with routing_scope():
            return self.get_response(request)
