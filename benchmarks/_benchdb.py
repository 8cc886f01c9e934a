"""Shared set-up of the analytics benchmarks: a separate benchmark database, migrated."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg


def bench_database_url() -> str:
    """Return BENCH_DATABASE_URL, or DATABASE_URL's database with a ``_bench`` suffix."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit(
            "Set DATABASE_URL (or BENCH_DATABASE_URL): the benchmark needs PostgreSQL."
        )
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "synapscale"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist (connecting to ``postgres``)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def use_bench_database() -> str:
    """Point this process (and its children) at the benchmark database; return its URL."""
    url = bench_database_url()
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    return url


def ensure_event_partitions(start, end) -> None:
    """Create the monthly analytics_event partitions of [start, end) that are missing.

    The periodic task only covers the months ingestion accepts around today; a benchmark
    loading fixed past dates makes its own, so its rows never land in the DEFAULT partition.
    """
    from analytics.selectors.partitions import event_partitions, month_add, month_start
    from analytics.services.partitions import event_partition_create

    existing = {partition.start for partition in event_partitions()}
    month = month_start(start)
    while month < end:
        if month not in existing:
            event_partition_create(month=month)
        month = month_add(month, 1)
