"""Cache policies: named TTLs, versioned namespaces, single-flight computation, warming."""

from synapscale.cache.policies import POLICIES, CachePolicy, Policy
from synapscale.cache.read import CachedResult, cached_read, invalidate, invalidate_on_commit
from synapscale.cache.warming import register_warmer, run_warmers

__all__ = [
    "POLICIES",
    "CachePolicy",
    "CachedResult",
    "Policy",
    "cached_read",
    "invalidate",
    "invalidate_on_commit",
    "register_warmer",
    "run_warmers",
]
