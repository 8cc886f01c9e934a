"""The declarative query spec shared by reports and dashboard widgets.

Users describe *what* to count, never SQL: a source, a metric, filters, a grouping and a date
range. ``query_spec_parse`` validates a spec against per-source whitelists and returns a
frozen ``QuerySpec``; ``analytics.selectors.queries`` compiles it into ORM queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from analytics.choices import ReportMetric, ReportSource
from analytics.constants import DATE_BOUNDS_MESSAGE, EARLIEST_DATE, LATEST_DATE

TIME_INTERVALS = ("hour", "day", "week", "month")
OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "contains")
MAX_FILTERS = 20
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# A key becomes part of an ORM lookup (``properties__<key>__gt``): "__" would split it into a
# nested path and a lookup, so it is refused.
PROPERTY_PATTERN = re.compile(r"^properties\.(?!.*__)([A-Za-z0-9_$][A-Za-z0-9_$.:-]{0,63})$")
RELATIVE_DAYS = re.compile(r"^last_(\d{1,3})_days$")
NAMED_RANGES = ("today", "yesterday", "last_24_hours", "this_month", "last_month")
MAX_ABSOLUTE_SPAN = timedelta(days=3 * 366)
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
    ),
    ReportSource.EXECUTIONS: SourceFields(
        fields={"status": "status", "workflow": "workflow_id", "workflow_name": "workflow__name"},
        numeric={"duration_ms": "duration_ms"},
        people=None,
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
class Filter:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class DateRange:
    """A relative name (``last_30_days``) or an absolute inclusive pair of dates."""

    relative: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """Return the [start, end) datetimes this range covers as of ``now``."""
        today = datetime.combine(now.date(), time.min, tzinfo=UTC)
        if self.relative is None:
            start = datetime.combine(self.date_from, time.min, tzinfo=UTC)
            end = datetime.combine(self.date_to, time.min, tzinfo=UTC)
            return start, end + timedelta(days=1)
        if self.relative == "today":
            return today, today + timedelta(days=1)
        if self.relative == "yesterday":
            return today - timedelta(days=1), today
        if self.relative == "last_24_hours":
            return now - timedelta(hours=24), now
        if self.relative == "this_month":
            return today.replace(day=1), today + timedelta(days=1)
        if self.relative == "last_month":
            first = today.replace(day=1)
            return (first - timedelta(days=1)).replace(day=1), first
        days = int(RELATIVE_DAYS.match(self.relative).group(1))
        return today - timedelta(days=days - 1), today + timedelta(days=1)

    def as_json(self) -> Any:
        if self.relative is not None:
            return self.relative
        return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}


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

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _is_field(name: Any, source: SourceFields) -> bool:
    if not isinstance(name, str):
        return False
    return name in source.fields or (source.has_properties and bool(PROPERTY_PATTERN.match(name)))


def date_range_parse(value: Any, errors: dict, path: str = "date_range") -> DateRange | None:
    """Validate a relative or absolute date range; record problems in ``errors``."""
    if value is None:
        return DateRange(relative="last_30_days")
    if isinstance(value, str):
        match = RELATIVE_DAYS.match(value)
        if value in NAMED_RANGES or (match and 1 <= int(match.group(1)) <= 365):
            return DateRange(relative=value)
        errors[path] = [
            "Use last_N_days (N from 1 to 365), today, yesterday, last_24_hours, this_month, "
            'last_month, or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}.'
        ]
        return None
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        try:
            start = date.fromisoformat(str(value["from"]))
            end = date.fromisoformat(str(value["to"]))
        except ValueError:
            errors[path] = ["`from` and `to` must be dates (YYYY-MM-DD)."]
            return None
        if not (EARLIEST_DATE <= start <= LATEST_DATE and EARLIEST_DATE <= end <= LATEST_DATE):
            # Buckets and ends of day past 9999-12-31 do not exist (OverflowError).
            errors[path] = [DATE_BOUNDS_MESSAGE]
            return None
        if start > end:
            errors[path] = ["`from` must not be after `to`."]
            return None
        if end - start > MAX_ABSOLUTE_SPAN:
            errors[path] = ["An absolute range spans at most three years."]
            return None
        return DateRange(date_from=start, date_to=end)
    errors[path] = ['Must be a relative name or {"from": ..., "to": ...}.']
    return None


def _filters_parse(value: Any, source: SourceFields, errors: dict) -> tuple[Filter, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_FILTERS:
        errors["filters"] = [f"Must be a list of at most {MAX_FILTERS} filters."]
        return ()
    parsed = []
    for index, item in enumerate(value):
        path = f"filters.{index}"
        if not isinstance(item, dict) or not {"field", "op", "value"} <= set(item):
            errors[path] = ["Each filter is {field, op, value}."]
            continue
        if not _is_field(item["field"], source):
            errors[f"{path}.field"] = [f"Unknown field; one of {sorted(source.fields)}."]
        if item["op"] not in OPERATORS:
            errors[f"{path}.op"] = [f"Unknown operator; one of {list(OPERATORS)}."]
        filter_value = item["value"]
        if item["op"] == "in":
            if not isinstance(filter_value, list) or not filter_value or len(filter_value) > 100:
                errors[f"{path}.value"] = ["`in` takes a list of 1 to 100 values."]
        elif not isinstance(filter_value, (str, int, float, bool)):
            errors[f"{path}.value"] = ["Must be a string, number or boolean."]
        parsed.append(Filter(field=item["field"], op=item["op"], value=filter_value))
    return tuple(parsed)


def query_spec_parse(value: Any) -> QuerySpec:
    """Validate a query spec; raise ``QuerySpecError`` listing every problem."""
    if not isinstance(value, dict):
        raise QuerySpecError({"non_field_errors": ["The query must be a JSON object."]})
    errors: dict[str, list[str]] = {}
    unknown = set(value) - SPEC_KEYS
    if unknown:
        errors["non_field_errors"] = [f"Unknown keys: {', '.join(sorted(map(str, unknown)))}."]
    source_name = value.get("source")
    if source_name not in SOURCES:
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
        numeric_ok = prop in source.numeric or (
            source.has_properties and isinstance(prop, str) and PROPERTY_PATTERN.match(prop)
        )
        if not numeric_ok:
            choices = sorted(source.numeric) or ["properties.<name>"]
            errors["property"] = [f"{metric} needs a numeric property: one of {choices}."]
    elif prop is not None:
        errors["property"] = ["Only sum and avg take a property."]

    filters = _filters_parse(value.get("filters"), source, errors)
    group_by = value.get("group_by")
    if group_by is not None and group_by not in TIME_INTERVALS and not _is_field(group_by, source):
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
