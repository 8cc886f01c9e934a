"""Run analyses (trends, funnels, retention, A/B tests) in PostgreSQL, cached per workspace."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from analytics.analysis import specs
from analytics.analysis.sql.ab_test import ab_test
from analytics.analysis.sql.funnels import funnels
from analytics.analysis.sql.retention import retention
from analytics.analysis.sql.trends import trends
from synapscale.cache import CachedResult, Policy, cached_read
from synapscale.db_routing import lag_tolerant_reads
from synapscale.query_budget import query_budget

CACHE_NAMESPACE = "analytics.analysis"

COMPUTATIONS: dict[str, Callable] = {
    "trends": trends,
    "funnels": funnels,
    "retention": retention,
    "ab_test": ab_test,
}


def analysis_cache_params(kind: str, query) -> dict:
    """Return the normalized query the cache key is built from (equal queries, equal keys)."""
    return {"kind": kind, "query": dataclasses.asdict(query)}


def analysis_compute(*, kind: str, data, workspace_id: int) -> dict:
    """Validate ``data`` and compute the analysis now, uncached."""
    query = specs.parse_query(kind, data)
    return _compute_budgeted(kind, query, workspace_id)


def _compute_budgeted(kind: str, query, workspace_id: int) -> dict:
    # Under the analysis budget, holding one of the workspace's places for running queries;
    # on the replica when there is one (an analysis of a few seconds ago is as good).
    with (
        lag_tolerant_reads() as using,
        query_budget("analysis", workspace_id=workspace_id, using=using),
    ):
        return COMPUTATIONS[kind](query, workspace_id=workspace_id)


def analysis_run(*, kind: str, data, workspace_id: int, refresh: bool = False) -> CachedResult:
    """Validate ``data`` (``ValidationError`` when invalid) and return the cached analysis.

    The cache key is the normalized query (dates resolved, filters sorted), so two requests
    that mean the same thing share an entry; ``refresh`` recomputes.
    """
    query = specs.parse_query(kind, data)
    return cached_read(
        namespace=CACHE_NAMESPACE,
        policy=Policy.BUSINESS,
        workspace_id=workspace_id,
        params=analysis_cache_params(kind, query),
        compute=lambda: _compute_budgeted(kind, query, workspace_id),
        refresh=refresh,
    )
