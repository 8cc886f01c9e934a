"""The deprecated usages of the analytics API, announced in docs/api-versioning.md."""

from __future__ import annotations

from datetime import UTC, datetime

from synapscale.api.deprecation import Deprecation

# Filter objects ({"plan": "pro"}), an analysis's date_from/date_to and an export's named
# filters: converted to the query language's list and date_range until the sunset.
LEGACY_QUERY_SHAPES = Deprecation(
    since=datetime(2026, 12, 4, tzinfo=UTC),
    sunset=datetime(2027, 6, 30, tzinfo=UTC),
    docs_path="api-versioning#analytics-old-filter-shapes",
)
