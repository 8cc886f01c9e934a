"""Serializer fields of the query language: filters as the list of ``{field, op, value}``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.analysis.body_schemas import DATE_RANGE_SCHEMA
from analytics.query_language import (
    MAX_FILTERS,
    OPERATORS,
    PROPERTY_KEY_PATTERN,
    filters_as_list,
)

_KEY = PROPERTY_KEY_PATTERN.pattern.removeprefix("^").removesuffix("$")
FILTERS_SCHEMA = {
    "type": "array",
    "maxItems": MAX_FILTERS,
    "description": (
        "Filters, all of which a row matches: a field of the source or `properties.<key>`, "
        "an operator and a value (`in` takes a list)."
    ),
    "items": {
        "type": "object",
        "required": ["field", "op", "value"],
        "additionalProperties": False,
        "properties": {
            "field": {"type": "string", "description": f"A field or properties.{_KEY}"},
            "op": {"type": "string", "enum": list(OPERATORS)},
            "value": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "array", "items": {}},
                ]
            },
        },
    },
}


@extend_schema_field(DATE_RANGE_SCHEMA)
class DateRangeField(serializers.JSONField):
    """A relative range name or ``{"from", "to"}``, checked by the query language."""


@extend_schema_field(FILTERS_SCHEMA)
class QueryFiltersField(serializers.JSONField):
    """Filters in, checked by the service that stores them; always the list shape out.

    A rule stored before the list existed holds the old object (``{"plan": "pro"}``): it is
    shown converted, the way it is evaluated.
    """

    def to_representation(self, value):
        return filters_as_list(value)
