"""The OpenAPI schema of each analysis kind's body, from the limits `specs` enforces.

`specs` parses the bodies; these schemas document them for `/api/schema/` (one operation
per kind). tests/analytics/test_analysis_body_schemas.py sends the same bodies through both.
"""

from __future__ import annotations

from analytics import query_language as language
from analytics.analysis import specs

_EVENT_TYPE = {"type": "string", "pattern": language.EVENT_TYPE_PATTERN.pattern}
_PROPERTY_KEY = {"type": "string", "pattern": language.PROPERTY_KEY_PATTERN.pattern}
_KEY = language.PROPERTY_KEY_PATTERN.pattern.removeprefix("^").removesuffix("$")
_SCALAR = {
    "oneOf": [
        {"type": "string", "maxLength": language.MAX_STRING_VALUE},
        {"type": "number"},
        {"type": "boolean"},
    ]
}
_FILTERS = {
    "type": "array",
    "nullable": True,
    "maxItems": language.MAX_FILTERS,
    "description": (
        "Property filters, all of which an event matches: `eq` a value, or `in` a list of "
        "values (JSON equality: `true` is not `1`)."
    ),
    "items": {
        "type": "object",
        "required": ["field", "op", "value"],
        "additionalProperties": False,
        "properties": {
            "field": {"type": "string", "pattern": rf"^properties\.{_KEY}$"},
            "op": {"type": "string", "enum": list(specs.FILTER_RULES.operators)},
            "value": {
                "oneOf": [
                    _SCALAR,
                    {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": language.MAX_IN_VALUES,
                        "items": _SCALAR,
                    },
                ]
            },
        },
    },
}
_MOMENT = {
    "type": "string",
    "minLength": 1,
    "description": "An ISO date (a whole UTC day) or datetime (UTC when it has no offset).",
}
_RELATIVE_DAYS = r"last_([1-9]|[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-5])_days"
DATE_RANGE_SCHEMA = {
    "description": (
        "A relative range (resolved in UTC days as of each run) or an absolute one; a plain "
        "date as `to` includes that whole day. At most three years, between 1970-01-01 and "
        f"2100-12-31. Default: `{language.DEFAULT_DATE_RANGE}`."
    ),
    "oneOf": [
        {
            "type": "string",
            "pattern": rf"^({'|'.join(language.NAMED_RANGES)}|{_RELATIVE_DAYS})$",
        },
        {
            "type": "object",
            "required": ["from", "to"],
            "additionalProperties": False,
            "properties": {"from": _MOMENT, "to": _MOMENT},
        },
    ],
}
_WINDOW = {"type": "integer", "minimum": 1, "maximum": specs.MAX_WINDOW_SECONDS}
_BREAKDOWN_LIMIT = {
    "type": "integer",
    "minimum": 1,
    "maximum": specs.MAX_BREAKDOWN_LIMIT,
    "default": specs.DEFAULT_BREAKDOWN_LIMIT,
}
_COMMON = {"date_range": DATE_RANGE_SCHEMA, "filters": _FILTERS}


def _body(description: str, required: list[str], properties: dict) -> dict:
    return {
        "type": "object",
        "description": description,
        "required": required,
        "additionalProperties": False,
        "properties": {**properties, **_COMMON},
    }


TRENDS = _body(
    "Counts (or unique people) of events per interval, optionally broken down and compared "
    "with the period before.",
    ["events"],
    {
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": specs.MAX_EVENTS,
            "items": _EVENT_TYPE,
        },
        "metric": {"type": "string", "enum": list(specs.METRICS), "default": "count"},
        "interval": {"type": "string", "enum": list(specs.INTERVALS), "default": "day"},
        "breakdown": {
            "type": "string",
            "nullable": True,
            "pattern": rf"^(event_type|properties\.{_KEY})$",
            "description": '"event_type" or "properties.<key>".',
        },
        "breakdown_limit": _BREAKDOWN_LIMIT,
        "compare": {"type": "boolean", "default": False},
    },
)
FUNNELS = _body(
    "People who did each step in order within the window after their first step.",
    ["steps", "window_seconds"],
    {
        "steps": {
            "type": "array",
            "minItems": 1,
            "maxItems": specs.MAX_FUNNEL_STEPS,
            "items": {
                "type": "object",
                "required": ["event_type"],
                "additionalProperties": False,
                "properties": {"event_type": _EVENT_TYPE, "filters": _FILTERS},
            },
        },
        "window_seconds": _WINDOW,
        "breakdown": {
            "type": "string",
            "nullable": True,
            "pattern": rf"^properties\.{_KEY}$",
            "description": "A property of the person's first step event: properties.<key>.",
        },
        "breakdown_limit": _BREAKDOWN_LIMIT,
    },
)
RETENTION = _body(
    "Of the people who did the start event in a period, how many returned in each later one.",
    ["start_event", "return_event"],
    {
        "start_event": _EVENT_TYPE,
        "return_event": _EVENT_TYPE,
        "period": {"type": "string", "enum": list(specs.RETENTION_PERIODS), "default": "week"},
        "periods": {
            "type": "integer",
            "minimum": 1,
            "maximum": specs.MAX_RETENTION_PERIODS,
            "default": 8,
        },
    },
)
AB_TEST = _body(
    "Conversion to the goal event per variant of the exposure event, with significance.",
    ["exposure_event", "variant_property", "goal_event", "window_seconds"],
    {
        "exposure_event": _EVENT_TYPE,
        "variant_property": _PROPERTY_KEY,
        "goal_event": _EVENT_TYPE,
        "window_seconds": _WINDOW,
        "control": {"type": "string", "nullable": True, "maxLength": 200},
        "confidence_level": {
            "type": "number",
            "minimum": 0.5,
            "maximum": 1,
            "exclusiveMaximum": True,
            "default": 0.95,
        },
    },
)
BODY_SCHEMAS = {"trends": TRENDS, "funnels": FUNNELS, "retention": RETENTION, "ab_test": AB_TEST}
