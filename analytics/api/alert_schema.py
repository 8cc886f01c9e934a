"""The alert rule body in the schema: one variant per metric, with what each metric needs.

The service checks the rules across fields (`analytics.services.alerts._validate`); a plain
serializer schema cannot say them. Create and replace document a `oneOf` over the metrics:
event_count needs an event_type, report_value a report, and change_pct only goes with a
windowed metric. A partial update is checked against the stored rule, so its body stays the
plain one.
"""

from __future__ import annotations

import copy

from drf_spectacular.extensions import OpenApiSerializerExtension

from analytics.models.alerts import AlertCondition, AlertMetric
from analytics.query_language import EVENT_TYPE_PATTERN
from analytics.selectors.alerts import INSTANT_METRICS


def _variant(base: dict, metric: str) -> dict:
    schema = copy.deepcopy(base)
    properties = schema["properties"]
    # Wrapped in allOf so drf-spectacular's enum hook keeps each variant's literal inline.
    properties["metric"] = {"allOf": [{"type": "string", "enum": [metric]}]}
    required = set(schema.get("required", []))
    if metric == AlertMetric.EVENT_COUNT:
        properties["event_type"] = {"type": "string", "pattern": EVENT_TYPE_PATTERN.pattern}
        required.add("event_type")
    if metric == AlertMetric.REPORT_VALUE:
        properties["report"] = {
            key: value for key, value in properties["report"].items() if key != "nullable"
        }
        required.add("report")
    if metric in INSTANT_METRICS:
        conditions = [c for c in AlertCondition.values if c != AlertCondition.CHANGE_PCT]
        properties["condition"] = {"allOf": [{"type": "string", "enum": conditions}]}
    schema["required"] = sorted(required)
    schema["title"] = f"{metric} rule"
    return schema


class AlertRuleInputExtension(OpenApiSerializerExtension):
    target_class = "analytics.api.alerts.AlertRuleInputSerializer"

    def map_serializer(self, auto_schema, direction):
        base = auto_schema._map_serializer(self.target_class, direction, bypass_extensions=True)
        if auto_schema.method == "PATCH":
            return base
        return {
            "oneOf": [_variant(base, metric) for metric in AlertMetric.values],
            "description": "An alert rule; what else it needs depends on its metric.",
        }
