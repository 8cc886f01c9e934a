"""The named cache policies and their time-to-live."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CachePolicy:
    name: str
    ttl_seconds: int

    @property
    def stale_ttl_seconds(self) -> int:
        # A stale copy outlives the fresh one so that waiters can be served during a
        # recomputation instead of piling onto the database.
        return self.ttl_seconds * 10


class Policy:
    REALTIME = CachePolicy("realtime", 60)
    BUSINESS = CachePolicy("business", 300)
    REPORTS = CachePolicy("reports", 1800)


POLICIES: dict[str, CachePolicy] = {
    policy.name: policy for policy in (Policy.REALTIME, Policy.BUSINESS, Policy.REPORTS)
}
