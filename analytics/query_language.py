"""The analytics query language: its rules, its filters and its date ranges, parsed once.

Every analytics surface that narrows events (or executions, or template installs) speaks it:
reports and dashboard widgets (``analytics.query_spec``), analyses
(``analytics.analysis.specs``), alert rules and exports. A filter is ``{"field", "op",
"value"}``; a date range is a relative name (``last_30_days``) or ``{"from", "to"}``. What a
field, a property key and an event type may look like is decided here and nowhere else.

Parsers never stop at the first problem: each one is recorded in ``errors`` (path ->
messages, paths like ``filters.2.op``) and the caller raises once with all of them.

The shapes used before this language existed keep working, converted here: a filter object
``{"plan": "pro", "tier": ["a", "b"]}`` (property equality) and an analysis's top-level
``date_from``/``date_to``. ``filters_are_legacy`` tells the API layer when a request used
one, so it can answer with deprecation headers (docs/api-versioning.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from analytics.constants import (
    DATE_BOUNDS_MESSAGE,
    EARLIEST_DATE,
    EARLIEST_MOMENT,
    LATEST_DATE,
    LATEST_MOMENT,
)

# The one event-type rule: ingestion, alert rules, analyses and the schema all use it.
EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
EVENT_TYPE_MESSAGE = f"An event type matches {EVENT_TYPE_PATTERN.pattern}."
# The one property-key rule. Keys reach SQL only as bound parameters or JSON key transforms,
# never as SQL text or ORM lookup strings; the whitelist keeps them readable and rejects
# control characters, quotes and absurd lengths. `1st_plan` and `plan.tier` are keys.
PROPERTY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_$][A-Za-z0-9_$.:-]{0,63}$")
PROPERTY_KEY_MESSAGE = f"A property key matches {PROPERTY_KEY_PATTERN.pattern}."
PROPERTY_PREFIX = "properties."

OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "contains")
ORDERED_OPERATORS = ("gt", "gte", "lt", "lte")
MAX_FILTERS = 20
MAX_IN_VALUES = 100
MAX_STRING_VALUE = 2048

RELATIVE_DAYS = re.compile(r"^last_(\d{1,3})_days$")
NAMED_RANGES = ("today", "yesterday", "last_24_hours", "this_month", "last_month")
DEFAULT_DATE_RANGE = "last_30_days"
MAX_RANGE = timedelta(days=3 * 366)
DATE_RANGE_MESSAGE = (
    "Use last_N_days (N from 1 to 365), today, yesterday, last_24_hours, this_month, "
    'last_month, or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (dates or ISO datetimes).'
)

Errors = dict[str, list[str]]


def is_event_type(value: Any) -> bool:
    return isinstance(value, str) and bool(EVENT_TYPE_PATTERN.fullmatch(value))


def is_property_key(value: Any) -> bool:
    return isinstance(value, str) and bool(PROPERTY_KEY_PATTERN.fullmatch(value))


def property_key(name: Any) -> str | None:
    """Return the key of a ``properties.<key>`` field name, or None when it is not one."""
    if not isinstance(name, str) or not name.startswith(PROPERTY_PREFIX):
        return None
    key = name.removeprefix(PROPERTY_PREFIX)
    return key if is_property_key(key) else None


@dataclass(frozen=True)
class FilterRules:
    """What a consumer lets users filter on: plain fields, properties, which operators."""

    fields: frozenset[str]
    has_properties: bool
    operators: tuple[str, ...] = OPERATORS
    # Names an old filter object may not use as property keys: they are fields of the
    # source (``event_type``), which such an object never filtered on. Default: its fields.
    reserved: frozenset[str] | None = None
    # Moments (``created_at``): compared with gt/gte/lt/lte to an ISO date or datetime.
    time_fields: frozenset[str] = frozenset()

    def knows(self, name: Any) -> bool:
        if not isinstance(name, str):
            return False
        if name in self.fields or name in self.time_fields:
            return True
        return self.has_properties and property_key(name) is not None

    def describe(self) -> list[str]:
        names = sorted(self.fields | self.time_fields)
        return names + (["properties.<key>"] if self.has_properties else [])


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any


def filters_are_legacy(value: Any) -> bool:
    """Whether ``value`` is the old filter object (``{"plan": "pro"}``) rather than a list."""
    return isinstance(value, dict)


def _scalar_error(value: Any) -> str | None:
    if isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "Numbers must be finite."
    if isinstance(value, str):
        if len(value) > MAX_STRING_VALUE:
            return f"Strings are at most {MAX_STRING_VALUE} characters."
        return None
    return "Must be a string, number or boolean."


def _value_check(op: str, value: Any, path: str, errors: Errors) -> None:
    if op == "in":
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN_VALUES:
            errors[path] = [f"`in` takes a list of 1 to {MAX_IN_VALUES} values."]
            return
        problems = [problem for problem in map(_scalar_error, value) if problem]
        if problems:
            errors[path] = [problems[0]]
        return
    problem = _scalar_error(value)
    if problem:
        errors[path] = [problem]


def _legacy_filters(
    value: dict, rules: FilterRules, errors: Errors, path: str
) -> list[tuple[str, str, dict]]:
    """Convert ``{"<property key>": value | [values]}`` into ``{field, op, value}`` items.

    Each item keeps the path the client wrote (``filters.plan``). A key that names a field
    of the source (``event_type``) was always read as a property and matched nothing; it is
    refused now, pointing at the list shape that says which.
    """
    converted = []
    reserved = rules.fields | rules.time_fields if rules.reserved is None else rules.reserved
    for key in sorted(value, key=str):
        item_path = f"{path}.{key}"
        if key in reserved:
            errors[item_path] = [
                f"`{key}` is a field, not a property: send filters as a list, "
                f'[{{"field": "{key}", "op": "eq", "value": ...}}].'
            ]
            continue
        if not is_property_key(key):
            errors[item_path] = [PROPERTY_KEY_MESSAGE]
            continue
        converted.append((item_path, item_path, _legacy_item(key, value[key])))
    return converted


def _legacy_item(key: str, value: Any) -> dict:
    op = "in" if isinstance(value, list) else "eq"
    return {"field": f"{PROPERTY_PREFIX}{key}", "op": op, "value": value}


def filters_as_list(value: Any) -> list[dict]:
    """Return stored filters in the list shape (an old object converted, unvalidated)."""
    if filters_are_legacy(value):
        return [_legacy_item(key, value[key]) for key in sorted(value, key=str)]
    return list(value or [])


# The named filters exports took before the list (the event and execution lists' query
# parameters), per source: name -> (field, operator).
NAMED_FILTERS = {
    "events": {
        "event_type": ("event_type", "in"),
        "user": ("user", "eq"),
        "distinct_id": ("distinct_id", "eq"),
        "session_id": ("session_id", "eq"),
        "created_after": ("created_at", "gte"),
        "created_before": ("created_at", "lt"),
    },
    "executions": {
        "status": ("status", "in"),
        "workflow": ("workflow", "eq"),
        "created_after": ("created_at", "gte"),
        "created_before": ("created_at", "lt"),
    },
}


def named_filters_parse(
    value: dict, *, source: str, rules: FilterRules, errors: Errors, path: str = "filters"
) -> tuple[Filter, ...]:
    """Parse an export's old named filters (``{"event_type": "a,b", "properties": {}}``).

    ``in`` filters took a list or a comma-separated text; ``properties`` an object of
    property equalities (events only). Errors keep the names the client wrote.
    """
    names = NAMED_FILTERS[source]
    items = []
    for name in sorted(value, key=str):
        raw, item_path = value[name], f"{path}.{name}"
        if name == "properties" and source == "events":
            if not isinstance(raw, dict):
                errors[item_path] = ["An object of property: value."]
                continue
            items.extend(
                (f"{item_path}.{key}", f"{item_path}.{key}", _legacy_item(key, raw[key]))
                for key in sorted(raw, key=str)
            )
        elif name not in names:
            errors[item_path] = ["Unknown filter."]
        else:
            field_name, op = names[name]
            if op == "in" and isinstance(raw, str):
                raw = [part.strip() for part in raw.split(",") if part.strip()]
            elif op == "in" and not isinstance(raw, list):
                raw = [raw]
            items.append((item_path, item_path, {"field": field_name, "op": op, "value": raw}))
    return _items_parse(items, rules, errors)


def _filter_items(value: Any, rules: FilterRules, errors: Errors, path: str):
    """Return ``(item path, value path, item)`` for each filter, or None when not a list."""
    if filters_are_legacy(value):
        if len(value) > MAX_FILTERS:
            errors[path] = [f"At most {MAX_FILTERS} filters."]
            return None
        return _legacy_filters(value, rules, errors, path)
    if isinstance(value, list) and len(value) <= MAX_FILTERS:
        return [(f"{path}.{i}", f"{path}.{i}.value", item) for i, item in enumerate(value)]
    errors[path] = [f"A list of at most {MAX_FILTERS} filters {{field, op, value}}."]
    return None


def filters_parse(
    value: Any, *, rules: FilterRules, errors: Errors, path: str = "filters"
) -> tuple[Filter, ...]:
    """Validate a list of ``{field, op, value}`` (or the old property object) into Filters."""
    if value is None:
        return ()
    items = _filter_items(value, rules, errors, path)
    return () if items is None else _items_parse(items, rules, errors)


def _items_parse(items, rules: FilterRules, errors: Errors) -> tuple[Filter, ...]:
    parsed = []
    for item_path, value_path, item in items:
        if not isinstance(item, dict) or not {"field", "op", "value"} <= set(item):
            errors[item_path] = ["Each filter is {field, op, value}."]
            continue
        for unknown in sorted(set(item) - {"field", "op", "value"}, key=str):
            errors[f"{item_path}.{unknown}"] = ["Unknown key."]
        name, op, filter_value = item["field"], item["op"], item["value"]
        if not rules.knows(name):
            errors[f"{item_path}.field"] = [f"Unknown field; one of {rules.describe()}."]
        if op not in rules.operators:
            errors[f"{item_path}.op"] = [f"Unknown operator; one of {list(rules.operators)}."]
        elif isinstance(name, str) and name in rules.time_fields:
            _time_check(op, filter_value, value_path, errors)
        else:
            _value_check(op, filter_value, value_path, errors)
        parsed.append(Filter(field=name, op=op, value=filter_value))
    return tuple(parsed)


def _time_check(op: str, value: Any, path: str, errors: Errors) -> None:
    if op not in ORDERED_OPERATORS:
        errors[path] = [f"A time is compared with {', '.join(ORDERED_OPERATORS)}."]
        return
    moment_parse(value, path, errors, end_of_day=False)


def moment_parse(value: Any, path: str, errors: Errors, *, end_of_day: bool) -> datetime | None:
    """Parse an ISO date or datetime (naive means UTC); a date is the start or end of its day."""
    if not isinstance(value, str) or not value.strip():
        errors[path] = ["An ISO date (YYYY-MM-DD) or datetime is required."]
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if not EARLIEST_DATE <= day <= LATEST_DATE:
                errors[path] = [DATE_BOUNDS_MESSAGE]
                return None
            start = datetime.combine(day, time.min, tzinfo=UTC)
            return start + timedelta(days=1) if end_of_day else start
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[path] = [f"'{text[:40]}' is not an ISO date or datetime."]
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        # Year 1 at +01:00 is not a UTC moment at all (OverflowError).
        moment = parsed.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST_MOMENT <= moment <= LATEST_MOMENT:
        errors[path] = [DATE_BOUNDS_MESSAGE]
        return None
    return moment


@dataclass(frozen=True)
class DateRange:
    """A half-open UTC range ``[start, end)``; a relative one is resolved again at each run.

    ``relative`` is the name it was written as (``last_7_days``), None for absolute ranges.
    """

    start: datetime
    end: datetime
    relative: str | None = None

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """Return the [start, end) this range covers as of ``now``."""
        if self.relative is None:
            return self.start, self.end
        return relative_bounds(self.relative, now)

    def previous(self) -> DateRange:
        """Return the absolute range of the same length immediately before this one."""
        length = self.end - self.start
        return DateRange(self.start - length, self.start)

    def as_json(self) -> Any:
        if self.relative is not None:
            return self.relative
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def relative_bounds(name: str, now: datetime) -> tuple[datetime, datetime]:
    """Return the [start, end) of a relative range name as of ``now`` (UTC days)."""
    today = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    if name == "today":
        return today, today + timedelta(days=1)
    if name == "yesterday":
        return today - timedelta(days=1), today
    if name == "last_24_hours":
        return now - timedelta(hours=24), now
    if name == "this_month":
        return today.replace(day=1), today + timedelta(days=1)
    if name == "last_month":
        first = today.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), first
    days = int(RELATIVE_DAYS.match(name).group(1))
    return today - timedelta(days=days - 1), today + timedelta(days=1)


def _is_relative(value: str) -> bool:
    match = RELATIVE_DAYS.match(value)
    return value in NAMED_RANGES or bool(match and 1 <= int(match.group(1)) <= 365)


def absolute_range_parse(
    start_value: Any,
    end_value: Any,
    errors: Errors,
    *,
    from_path: str,
    to_path: str,
) -> DateRange | None:
    """Validate a ``from``/``to`` pair: a plain date as ``to`` includes that whole day."""
    start = moment_parse(start_value, from_path, errors, end_of_day=False)
    end = moment_parse(end_value, to_path, errors, end_of_day=True)
    if start is None or end is None:
        return None
    if end <= start:
        errors[to_path] = ["`to` must be after `from`."]
        return None
    if end - start > MAX_RANGE:
        errors[to_path] = ["A date range spans at most three years."]
        return None
    return DateRange(start, end)


def date_range_parse(
    value: Any,
    errors: Errors,
    path: str = "date_range",
    *,
    now: datetime | None = None,
    default: str | None = DEFAULT_DATE_RANGE,
) -> DateRange | None:
    """Validate a relative name or ``{"from", "to"}``; record problems in ``errors``.

    A relative range is resolved as of ``now`` (the current time by default) and again at
    each ``bounds(now)``; None (absent) means ``default``, or no range when that is None.
    """
    if value is None:
        if default is None:
            return None
        value = default
    now = now or datetime.now(UTC)
    if isinstance(value, str):
        if not _is_relative(value):
            errors[path] = [DATE_RANGE_MESSAGE]
            return None
        start, end = relative_bounds(value, now)
        return DateRange(start, end, relative=value)
    if isinstance(value, Mapping) and set(value) == {"from", "to"}:
        return absolute_range_parse(
            value["from"], value["to"], errors, from_path=f"{path}.from", to_path=f"{path}.to"
        )
    errors[path] = [DATE_RANGE_MESSAGE]
    return None
