"""Queue and business gauges, read at scrape time and kept a few seconds.

Each app registers its readers (``register_gauge_reader`` in its ``AppConfig.ready``); a
reader returns metric families and must stay cheap: an indexed count, a Redis LLEN. A
scrape within METRICS_GAUGES_CACHE_SECONDS of the previous one gets the same families, so
several Prometheus servers (or a fast scrape interval) cost the database nothing more.
A reader that raises is logged and reported by ``synapscale_gauge_reader_up{reader}``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

GaugeReader = Callable[[], Iterable[Metric]]

_readers: dict[str, GaugeReader] = {}


def register_gauge_reader(name: str, reader: GaugeReader) -> None:
    _readers[name] = reader


def gauge(name: str, documentation: str, labels: Iterable[str] = (), samples=()) -> Metric:
    """A gauge family from ``[(label values, value), ...]`` (no labels: ``[((), value)]``)."""
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in samples:
        family.add_metric(list(label_values), value)
    return family


class CachedGaugesCollector:
    """Every registered reader's families, recomputed at most once per cache period."""

    def __init__(self):
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._read_at: float | None = None

    def forget(self) -> None:
        with self._lock:
            self._read_at = None

    def _read_all(self) -> list[Metric]:
        families: list[Metric] = []
        up = GaugeMetricFamily(
            "synapscale_gauge_reader_up",
            "1 when the gauge reader answered at the last scrape, 0 when it raised.",
            labels=["reader"],
        )
        for name, reader in sorted(_readers.items()):
            try:
                families.extend(reader())
            except Exception:
                logger.warning("gauge_reader_failed reader=%s", name, exc_info=True)
                up.add_metric([name], 0)
            else:
                up.add_metric([name], 1)
        families.append(up)
        return families

    def collect(self):
        with self._lock:
            now = time.monotonic()
            fresh = self._read_at is not None and (
                now - self._read_at < settings.METRICS_GAUGES_CACHE_SECONDS
            )
            if not fresh:
                self._families = self._read_all()
                self._read_at = time.monotonic()
            return list(self._families)


COLLECTOR = CachedGaugesCollector()
GAUGES_REGISTRY = CollectorRegistry(auto_describe=False)
GAUGES_REGISTRY.register(COLLECTOR)
