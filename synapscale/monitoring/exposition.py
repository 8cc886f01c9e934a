"""The text /metrics serves: this process's (or every gunicorn worker's) samples and gauges."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from synapscale.monitoring.gauges import GAUGES_REGISTRY


def process_registry() -> CollectorRegistry:
    """With PROMETHEUS_MULTIPROC_DIR, the sum over the processes' files; else this process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_text() -> bytes:
    # Two registries, concatenated: their metric names never overlap.
    return generate_latest(process_registry()) + generate_latest(GAUGES_REGISTRY)
