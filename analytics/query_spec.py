"""The declarative query spec shared by reports and dashboard widgets.

Users describe *what* to count, never SQL: a source, a metric, filters, a grouping and a date
range. ``query_spec_parse`` validates a spec against per-source whitelists and returns a
frozen ``QuerySpec``; ``analytics.selectors.queries`` compiles it into ORM queries. Filters
and date ranges are the query language's (``analytics.query_language``), like everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.choices import ReportMetric, ReportSource
from analytics.query_language import (
    DateRange,
    Errors,
    Filter,
    FilterRules,
    date_range_parse,
    filters_parse,
    property_key,
)

TIME_INTERVALS = ("hour", "day", "week", "month")
TIME_FILTER_FIELD = "created_at"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
SPEC_KEYS = frozenset(
    {"source", "metric", "property", "filters", "group_by", "date_range", "limit"}
)


@dataclass(frozen=True)
class SourceFields:
    """What a source lets users filter, group and aggregate on (name -> ORM lookup)."""

    fields: dict[str, str]
    numeric: dict[str, str]
    people: str | None
    time_field: str = "created_at"
    has_properties: bool = False

    # Filterable as ``created_at`` with ordered operators (not grouped on: one group a row).
    filters_on_time: bool = False

    @property
    def rules(self) -> FilterRules:
        return FilterRules(
            fields=frozenset(self.fields),
            has_properties=self.has_properties,
            time_fields=frozenset({TIME_FILTER_FIELD}) if self.filters_on_time else frozenset(),
        )

    def groups_on(self, name: Any) -> bool:
        """Whether ``name`` is a field the source's rows may be grouped by."""
        if not isinstance(name, str):
            return False
        return name in self.fields or (self.has_properties and property_key(name) is not None)


SOURCES: dict[str, SourceFields] = {
    ReportSource.EVENTS: SourceFields(
        fields={
            "event_type": "event_type",
            "distinct_id": "distinct_id",
            "session_id": "session_id",
            "user": "user_id",
            "page_url": "page_url",
            "referrer": "referrer",
        },
        numeric={},
        people="distinct_id",
        has_properties=True,
        filters_on_time=True,
    ),
    ReportSource.EXECUTIONS: SourceFields(
        fields={"status": "status", "workflow": "workflow_id", "workflow_name": "workflow__name"},
        numeric={"duration_ms": "duration_ms"},
        people=None,
        filters_on_time=True,
    ),
    ReportSource.TEMPLATES: SourceFields(
        fields={
            "template": "template_id",
            "template_name": "template__name",
            "license": "template__license",
        },
        numeric={"price": "template__price"},
        people=None,
    ),
}


@dataclass(frozen=True)
class QuerySpec:
    source: str
    metric: str
    property: str | None
    filters: tuple[Filter, ...]
    group_by: str | None
    date_range: DateRange
    limit: int

    @property
    def groups_by_time(self) -> bool:
        return self.group_by in TIME_INTERVALS


class QuerySpecError(Exception):
    """Raised with ``errors``: spec path -> messages."""

    def __init__(self, errors: Errors):
        super().__init__(errors)
        self.errors = errors


def query_spec_parse(value: Any) -> QuerySpec:
    """Validate a query spec; raise ``QuerySpecError`` listing every problem."""
    if not isinstance(value, dict):
        raise QuerySpecError({"non_field_errors": ["The query must be a JSON object."]})
    errors: Errors = {}
    for unknown in sorted(set(value) - SPEC_KEYS, key=str):
        errors[str(unknown)] = ["Unknown key."]
    source_name = value.get("source")
    if not isinstance(source_name, str) or source_name not in SOURCES:
        errors["source"] = [f"One of {list(ReportSource.values)}."]
        raise QuerySpecError(errors)
    source = SOURCES[source_name]

    metric = value.get("metric", ReportMetric.COUNT)
    prop = value.get("property")
    if metric not in ReportMetric.values:
        errors["metric"] = [f"One of {list(ReportMetric.values)}."]
    elif metric == ReportMetric.UNIQUE_PEOPLE and source.people is None:
        errors["metric"] = [f"unique_people is not available for {source_name}."]
    elif metric in (ReportMetric.SUM, ReportMetric.AVG):
        numeric_ok = (isinstance(prop, str) and prop in source.numeric) or (
            source.has_properties and property_key(prop) is not None
        )
        if not numeric_ok:
            choices = sorted(source.numeric) or ["properties.<name>"]
            errors["property"] = [f"{metric} needs a numeric property: one of {choices}."]
    elif prop is not None:
        errors["property"] = ["Only sum and avg take a property."]

    filters = filters_parse(value.get("filters"), rules=source.rules, errors=errors)
    group_by = value.get("group_by")
    if group_by is not None and group_by not in TIME_INTERVALS and not source.groups_on(group_by):
        errors["group_by"] = [f"A time interval {list(TIME_INTERVALS)} or a field of the source."]
    date_range = date_range_parse(value.get("date_range"), errors)
    limit = value.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = [f"An integer from 1 to {MAX_LIMIT}."]
    if errors:
        raise QuerySpecError(errors)
    return QuerySpec(
        source=source_name,
        metric=metric,
        property=prop if metric in (ReportMetric.SUM, ReportMetric.AVG) else None,
        filters=filters,
        group_by=group_by,
        date_range=date_range,
        limit=limit,
    )
