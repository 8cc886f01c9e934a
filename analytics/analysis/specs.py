"""Validate and normalize analysis queries (trends, funnels, retention, A/B tests).

Pure Python on purpose: the same parsed query drives the PostgreSQL implementation and the
reference implementation the tests compare it with. Every problem is collected and reported
at once as a ``django.core.exceptions.ValidationError`` whose dict maps field paths to
messages, which the API turns into a 400 problem response. Date ranges, filters, event
types and property keys are the query language's (``analytics.query_language``); the old
``date_from``/``date_to`` and filter object are converted there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from analytics.query_language import (
    EVENT_TYPE_MESSAGE,
    PROPERTY_KEY_MESSAGE,
    DateRange,
    Errors,
    FilterRules,
    absolute_range_parse,
    date_range_parse,
    filters_parse,
    is_event_type,
    is_property_key,
    property_key,
)
from analytics.query_spec import SOURCES, TIME_FILTER_FIELD

INTERVALS = ("hour", "day", "week", "month")
RETENTION_PERIODS = ("day", "week")
METRICS = ("count", "unique_people")

MAX_EVENTS = 20
MAX_FUNNEL_STEPS = 20
MAX_BUCKETS = 2000
MAX_WINDOW_SECONDS = 366 * 86400
MAX_RETENTION_PERIODS = 100
MAX_BREAKDOWN_LIMIT = 50
DEFAULT_BREAKDOWN_LIMIT = 10
OTHER_LABEL = "other"
NONE_LABEL = "(none)"
# Analyses match properties by JSON equality (``@>``), so their filters are eq/in on
# ``properties.<key>``; a field of the event (``event_type``) is chosen by the query itself.
FILTER_RULES = FilterRules(
    fields=frozenset(),
    has_properties=True,
    operators=("eq", "in"),
    reserved=frozenset(SOURCES["events"].fields) | {TIME_FILTER_FIELD},
)
LEGACY_DATE_KEYS = ("date_from", "date_to")
COMMON_KEYS = {"date_range", "filters", *LEGACY_DATE_KEYS}

Scalar = str | int | float | bool
# A normalized filter: (key, allowed values); an event matches when its property equals any.
PropertyFilter = tuple[str, tuple[Scalar, ...]]


@dataclass(frozen=True)
class TrendsQuery:
    events: tuple[str, ...]
    metric: str
    interval: str
    breakdown: str | None  # None, "event_type" or a property key
    breakdown_limit: int
    compare: bool
    date_range: DateRange
    filters: tuple[PropertyFilter, ...]

    @property
    def breakdown_property(self) -> str | None:
        if self.breakdown is None or self.breakdown == "event_type":
            return None
        return self.breakdown


@dataclass(frozen=True)
class FunnelStep:
    event_type: str
    filters: tuple[PropertyFilter, ...]


@dataclass(frozen=True)
class FunnelsQuery:
    steps: tuple[FunnelStep, ...]
    window_seconds: int
    breakdown: str | None  # a property key of the person's first step event
    breakdown_limit: int
    date_range: DateRange
    filters: tuple[PropertyFilter, ...]


@dataclass(frozen=True)
class RetentionQuery:
    start_event: str
    return_event: str
    period: str
    periods: int
    date_range: DateRange
    filters: tuple[PropertyFilter, ...]


@dataclass(frozen=True)
class AbTestQuery:
    exposure_event: str
    variant_property: str
    goal_event: str
    window_seconds: int
    control: str | None
    confidence_level: float
    date_range: DateRange
    filters: tuple[PropertyFilter, ...]


def _require_mapping(data: Any) -> tuple[dict, Errors]:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["The query must be a JSON object."]})
    return data, {}


def _reject_unknown(data: dict, allowed: set[str], errors: Errors, prefix: str = "") -> None:
    for key in sorted(set(data) - allowed, key=str):
        errors[f"{prefix}{key}"] = ["Unknown field."]


def event_type_parse(value: Any, path: str, errors: Errors) -> str | None:
    if not is_event_type(value):
        errors[path] = [EVENT_TYPE_MESSAGE]
        return None
    return value


def property_key_parse(value: Any, path: str, errors: Errors) -> str | None:
    if not is_property_key(value):
        errors[path] = [PROPERTY_KEY_MESSAGE]
        return None
    return value


def uses_legacy_shapes(data: Any) -> bool:
    """Whether an analysis body uses ``date_from``/``date_to`` or a filter object."""
    if not isinstance(data, dict):
        return False
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    step_filters = [step.get("filters") for step in steps if isinstance(step, dict)]
    return any(key in data for key in LEGACY_DATE_KEYS) or any(
        isinstance(value, dict) for value in [data.get("filters"), *step_filters]
    )


def analysis_filters_parse(value: Any, path: str, errors: Errors) -> tuple[PropertyFilter, ...]:
    """Parse filters (the list, or the old object) into sorted ``(key, values)`` pairs."""
    parsed = filters_parse(value, rules=FILTER_RULES, errors=errors, path=path)
    pairs = [
        (
            property_key(item.field),
            tuple(item.value) if isinstance(item.value, list) else (item.value,),
        )
        for item in parsed
        if property_key(item.field) is not None
    ]
    return tuple(sorted(pairs, key=lambda pair: (pair[0], json.dumps(pair[1], sort_keys=True))))


def analysis_date_range_parse(data: dict, errors: Errors) -> DateRange | None:
    """Read ``date_range`` (or the old ``date_from``/``date_to``); the default is 30 days."""
    legacy = [key for key in LEGACY_DATE_KEYS if key in data]
    if legacy and "date_range" in data:
        errors["date_range"] = ["Send date_range, not date_from/date_to as well."]
        return None
    if legacy:
        return absolute_range_parse(
            data.get("date_from"),
            data.get("date_to"),
            errors,
            from_path="date_from",
            to_path="date_to",
        )
    return date_range_parse(data.get("date_range"), errors)


def parse_positive_int(
    value: Any, path: str, errors: Errors, *, maximum: int, minimum: int = 1
) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[path] = ["A whole number is required."]
        return None
    if not minimum <= value <= maximum:
        errors[path] = [f"Must be between {minimum} and {maximum}."]
        return None
    return value


def parse_number(value: Any, path: str, errors: Errors) -> float | None:
    """Accept an int, a float or a numeric string; reject anything else (``"abc"``, NaN)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[path] = ["A finite number is required."]
        return None
    return float(value)


def _parse_breakdown(data: dict, errors: Errors, *, allow_event_type: bool):
    raw = data.get("breakdown")
    breakdown = None
    if raw is not None:
        if allow_event_type and raw == "event_type":
            breakdown = "event_type"
        elif property_key(raw) is not None:
            breakdown = property_key(raw)
        else:
            expected = '"event_type" or ' if allow_event_type else ""
            errors["breakdown"] = [f'Breakdown is {expected}"properties.<key>".']
    limit = data.get("breakdown_limit", DEFAULT_BREAKDOWN_LIMIT)
    limit = parse_positive_int(limit, "breakdown_limit", errors, maximum=MAX_BREAKDOWN_LIMIT)
    return breakdown, limit


def bucket_count(date_range: DateRange, interval: str) -> int:
    """Return how many ``interval`` buckets cover the range (an upper bound for months)."""
    seconds = (date_range.end - date_range.start).total_seconds()
    per_bucket = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 28 * 86400}
    return math.ceil(seconds / per_bucket[interval]) + 1


def _finish(errors: Errors, build):
    if errors:
        raise ValidationError(errors)
    return build()


def parse_trends(data: Any) -> TrendsQuery:
    """Validate a trends query; raise ``ValidationError`` naming every problem."""
    data, errors = _require_mapping(data)
    allowed = {"events", "metric", "interval", "breakdown", "breakdown_limit", "compare"}
    _reject_unknown(data, allowed | COMMON_KEYS, errors)
    events = data.get("events")
    parsed_events: tuple[str, ...] = ()
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        errors["events"] = [f"Give a list of 1 to {MAX_EVENTS} event types."]
    else:
        checked = [event_type_parse(e, f"events.{i}", errors) for i, e in enumerate(events)]
        parsed_events = tuple(dict.fromkeys(checked))
    metric = data.get("metric", "count")
    if metric not in METRICS:
        errors["metric"] = [f"Metric is one of {', '.join(METRICS)}."]
    interval = data.get("interval", "day")
    if interval not in INTERVALS:
        errors["interval"] = [f"Interval is one of {', '.join(INTERVALS)}."]
    compare = data.get("compare", False)
    if not isinstance(compare, bool):
        errors["compare"] = ["compare is true or false."]
    breakdown, limit = _parse_breakdown(data, errors, allow_event_type=True)
    date_range = analysis_date_range_parse(data, errors)
    if date_range and interval in INTERVALS and bucket_count(date_range, interval) > MAX_BUCKETS:
        errors["interval"] = [f"This range holds more than {MAX_BUCKETS} {interval}s."]
    filters = analysis_filters_parse(data.get("filters"), "filters", errors)
    return _finish(
        errors,
        lambda: TrendsQuery(
            events=parsed_events,
            metric=metric,
            interval=interval,
            breakdown=breakdown,
            breakdown_limit=limit,
            compare=compare,
            date_range=date_range,
            filters=filters,
        ),
    )


def parse_window(value: Any, errors: Errors, path: str = "window_seconds") -> int | None:
    if value is None:
        errors[path] = ["A conversion window in seconds is required."]
        return None
    return parse_positive_int(value, path, errors, maximum=MAX_WINDOW_SECONDS)


def _parse_steps(steps: Any, errors: Errors) -> tuple[FunnelStep, ...]:
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_FUNNEL_STEPS:
        errors["steps"] = [f"A funnel has 1 to {MAX_FUNNEL_STEPS} steps."]
        return ()
    parsed = []
    for index, step in enumerate(steps):
        path = f"steps.{index}"
        if not isinstance(step, dict):
            errors[path] = ["A step is an object with an event_type."]
            continue
        _reject_unknown(step, {"event_type", "filters"}, errors, prefix=f"{path}.")
        parsed.append(
            FunnelStep(
                event_type=event_type_parse(step.get("event_type"), f"{path}.event_type", errors),
                filters=analysis_filters_parse(step.get("filters"), f"{path}.filters", errors),
            )
        )
    return tuple(parsed)


def parse_funnels(data: Any) -> FunnelsQuery:
    """Validate a funnels query; raise ``ValidationError`` naming every problem."""
    data, errors = _require_mapping(data)
    allowed = {"steps", "window_seconds", "breakdown", "breakdown_limit"}
    _reject_unknown(data, allowed | COMMON_KEYS, errors)
    steps = _parse_steps(data.get("steps"), errors)
    breakdown, limit = _parse_breakdown(data, errors, allow_event_type=False)
    window = parse_window(data.get("window_seconds"), errors)
    date_range = analysis_date_range_parse(data, errors)
    filters = analysis_filters_parse(data.get("filters"), "filters", errors)
    return _finish(
        errors,
        lambda: FunnelsQuery(
            steps=steps,
            window_seconds=window,
            breakdown=breakdown,
            breakdown_limit=limit,
            date_range=date_range,
            filters=filters,
        ),
    )


def parse_retention(data: Any) -> RetentionQuery:
    """Validate a retention query; raise ``ValidationError`` naming every problem."""
    data, errors = _require_mapping(data)
    allowed = {"start_event", "return_event", "period", "periods"}
    _reject_unknown(data, allowed | COMMON_KEYS, errors)
    period = data.get("period", "week")
    if period not in RETENTION_PERIODS:
        errors["period"] = [f"Period is one of {', '.join(RETENTION_PERIODS)}."]
    start_event = event_type_parse(data.get("start_event"), "start_event", errors)
    return_event = event_type_parse(data.get("return_event"), "return_event", errors)
    periods = parse_positive_int(
        data.get("periods", 8), "periods", errors, maximum=MAX_RETENTION_PERIODS
    )
    date_range = analysis_date_range_parse(data, errors)
    filters = analysis_filters_parse(data.get("filters"), "filters", errors)
    return _finish(
        errors,
        lambda: RetentionQuery(
            start_event=start_event,
            return_event=return_event,
            period=period,
            periods=periods,
            date_range=date_range,
            filters=filters,
        ),
    )


def parse_ab_test(data: Any) -> AbTestQuery:
    """Validate an A/B test query; raise ``ValidationError`` naming every problem."""
    data, errors = _require_mapping(data)
    allowed = {
        "exposure_event",
        "variant_property",
        "goal_event",
        "window_seconds",
        "control",
        "confidence_level",
    }
    _reject_unknown(data, allowed | COMMON_KEYS, errors)
    control = data.get("control")
    if control is not None and (not isinstance(control, str) or len(control) > 200):
        errors["control"] = ["control is the name of a variant."]
    confidence = parse_number(data.get("confidence_level", 0.95), "confidence_level", errors)
    if confidence is not None and not 0.5 <= confidence < 1:
        errors["confidence_level"] = ["confidence_level is between 0.5 and 1 (e.g. 0.95)."]
    exposure = event_type_parse(data.get("exposure_event"), "exposure_event", errors)
    variant = property_key_parse(data.get("variant_property"), "variant_property", errors)
    goal = event_type_parse(data.get("goal_event"), "goal_event", errors)
    window = parse_window(data.get("window_seconds"), errors)
    date_range = analysis_date_range_parse(data, errors)
    filters = analysis_filters_parse(data.get("filters"), "filters", errors)
    return _finish(
        errors,
        lambda: AbTestQuery(
            exposure_event=exposure,
            variant_property=variant,
            goal_event=goal,
            window_seconds=window,
            control=control,
            confidence_level=confidence,
            date_range=date_range,
            filters=filters,
        ),
    )


PARSERS = {
    "trends": parse_trends,
    "funnels": parse_funnels,
    "retention": parse_retention,
    "ab_test": parse_ab_test,
}
ANALYSIS_KINDS = tuple(PARSERS)


def parse_query(kind: str, data: Any):
    """Validate ``data`` as a query of ``kind``; raise ``ValidationError`` when it is not."""
    if kind not in PARSERS:
        raise ValidationError({"kind": [f"Analysis kind is one of {', '.join(ANALYSIS_KINDS)}."]})
    return PARSERS[kind](data)
