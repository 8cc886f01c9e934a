"""Prometheus counters of ingestion: events received, stored, rejected, and their lag."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Histogram

# Seconds between an event happening and SynapScale receiving it: SDKs batch for seconds,
# mobile clients may send hours late.
LAG_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)

EVENTS_RECEIVED = Counter(
    "synapscale_events_received_total", "Events that arrived in capture and API batches."
)
EVENTS_INGESTED = Counter(
    "synapscale_events_ingested_total", "Events stored (new, not duplicates)."
)
EVENTS_DUPLICATES = Counter(
    "synapscale_events_duplicates_total", "Events already stored under the same id."
)
EVENTS_REJECTED = Counter(
    "synapscale_events_rejected_total",
    "Events refused: invalid, or over the workspace's daily quota.",
    ["reason"],
)
INGESTION_LAG = Histogram(
    "synapscale_events_ingestion_lag_seconds",
    "Time from an event's created_at to its arrival, per stored batch's events.",
    buckets=LAG_BUCKETS,
)


def ingestion_count(*, invalid: int, over_quota: int, ingested: int, duplicates: int) -> None:
    EVENTS_INGESTED.inc(ingested)
    EVENTS_DUPLICATES.inc(duplicates)
    if invalid:
        EVENTS_REJECTED.labels("invalid").inc(invalid)
    if over_quota:
        EVENTS_REJECTED.labels("quota").inc(over_quota)


def ingestion_lag_observe(*, created: list[datetime], received_at: datetime) -> None:
    for created_at in created:
        INGESTION_LAG.observe(max(0.0, (received_at - created_at).total_seconds()))
