"""Validate and normalize analysis queries (trends, funnels, retention, A/B tests).

Pure Python on purpose: the same parsed query drives the PostgreSQL implementation and the
reference implementation the tests compare it with. Every problem is reported as a
``django.core.exceptions.ValidationError`` whose dict maps field paths to messages, which
the API turns into a 400 problem response.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from analytics.constants import (
    DATE_BOUNDS_MESSAGE,
    EARLIEST_DATE,
    EARLIEST_MOMENT,
    LATEST_DATE,
    LATEST_MOMENT,
)

EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
# Property keys end up as bound parameters (``properties ->> %s``), never in SQL text; the
# whitelist keeps them readable and rejects control characters and absurd lengths.
PROPERTY_KEY_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.:-]{0,63}$")

INTERVALS = ("hour", "day", "week", "month")
RETENTION_PERIODS = ("day", "week")
METRICS = ("count", "unique_people")

MAX_EVENTS = 20
MAX_FUNNEL_STEPS = 20
MAX_FILTERS = 20
MAX_FILTER_LIST = 50
MAX_STRING_VALUE = 200
MAX_BUCKETS = 2000
MAX_RANGE = dt.timedelta(days=3 * 366)
MAX_WINDOW_SECONDS = 366 * 86400
MAX_RETENTION_PERIODS = 100
MAX_BREAKDOWN_LIMIT = 50
DEFAULT_BREAKDOWN_LIMIT = 10
OTHER_LABEL = "other"
NONE_LABEL = "(none)"

Scalar = str | int | float | bool
# A normalized filter: (key, allowed values); an event matches when its property equals any.
PropertyFilter = tuple[str, tuple[Scalar, ...]]


def _error(path: str, message: str) -> ValidationError:
    return ValidationError({path: [message]})


@dataclass(frozen=True)
class DateRange:
    """A half-open UTC range ``[start, end)``."""

    start: dt.datetime
    end: dt.datetime

    def previous(self) -> DateRange:
        """Return the range of the same length immediately before this one."""
        length = self.end - self.start
        return DateRange(self.start - length, self.start)


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


def _require_mapping(data: Any) -> dict:
    if not isinstance(data, dict):
        raise _error("non_field_errors", "The query must be a JSON object.")
    return data


def _reject_unknown(data: dict, allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({key: ["Unknown field."] for key in unknown})


def parse_timestamp(value: Any, path: str, *, end_of_day: bool) -> dt.datetime:
    """Parse an ISO date or datetime; a date means the start (or the end) of that UTC day."""
    if not isinstance(value, str) or not value.strip():
        raise _error(path, "An ISO date or datetime is required.")
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            if not EARLIEST_DATE <= day <= LATEST_DATE:
                raise _error(path, DATE_BOUNDS_MESSAGE)
            parsed = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            return parsed + dt.timedelta(days=1) if end_of_day else parsed
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _error(path, f"'{text[:40]}' is not an ISO date or datetime.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        # Year 1 at +01:00 is not a UTC moment at all (OverflowError).
        moment = parsed.astimezone(dt.UTC)
    except OverflowError:
        raise _error(path, DATE_BOUNDS_MESSAGE) from None
    if not EARLIEST_MOMENT <= moment <= LATEST_MOMENT:
        raise _error(path, DATE_BOUNDS_MESSAGE)
    return moment


def parse_date_range(data: dict) -> DateRange:
    """Read ``date_from``/``date_to``; a plain ``date_to`` includes that whole day."""
    start = parse_timestamp(data.get("date_from"), "date_from", end_of_day=False)
    end = parse_timestamp(data.get("date_to"), "date_to", end_of_day=True)
    if end <= start:
        raise _error("date_to", "date_to must be after date_from.")
    if end - start > MAX_RANGE:
        raise _error("date_to", "The date range may span at most three years.")
    return DateRange(start, end)


def parse_event_type(value: Any, path: str) -> str:
    if not isinstance(value, str) or not EVENT_TYPE_RE.fullmatch(value):
        raise _error(path, "An event type matches ^[a-z][a-z0-9_.:-]{0,63}$.")
    return value


def parse_property_key(value: Any, path: str) -> str:
    if not isinstance(value, str) or not PROPERTY_KEY_RE.fullmatch(value):
        raise _error(path, "A property key matches ^[A-Za-z_$][A-Za-z0-9_$.:-]{0,63}$.")
    return value


def _parse_scalar(value: Any, path: str) -> Scalar:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _error(path, "Numbers must be finite.")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING_VALUE:
            raise _error(path, f"Strings are at most {MAX_STRING_VALUE} characters.")
        return value
    raise _error(path, "A filter value is a string, number or boolean (or a list of them).")


def parse_filters(value: Any, path: str = "filters") -> tuple[PropertyFilter, ...]:
    """Normalize ``{"key": value | [values]}`` into sorted ``(key, values)`` pairs."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise _error(path, "Filters are an object mapping property keys to values.")
    if len(value) > MAX_FILTERS:
        raise _error(path, f"At most {MAX_FILTERS} filters.")
    parsed = []
    for key in sorted(value):
        parse_property_key(key, f"{path}.{key}")
        raw = value[key]
        if isinstance(raw, list):
            if not 1 <= len(raw) <= MAX_FILTER_LIST:
                raise _error(f"{path}.{key}", f"A list holds 1 to {MAX_FILTER_LIST} values.")
            values = tuple(_parse_scalar(item, f"{path}.{key}") for item in raw)
        else:
            values = (_parse_scalar(raw, f"{path}.{key}"),)
        parsed.append((key, values))
    return tuple(parsed)


def parse_positive_int(value: Any, path: str, *, maximum: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(path, "A whole number is required.")
    if not minimum <= value <= maximum:
        raise _error(path, f"Must be between {minimum} and {maximum}.")
    return value


def parse_number(value: Any, path: str) -> float:
    """Accept an int, a float or a numeric string; reject anything else (``"abc"``, NaN)."""
    if isinstance(value, bool):
        raise _error(path, "A number is required.")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _error(path, "A number is required.") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(path, "A finite number is required.")
    return float(value)


def _parse_breakdown(data: dict, *, allow_event_type: bool) -> tuple[str | None, int]:
    raw = data.get("breakdown")
    breakdown = None
    if raw is not None:
        if allow_event_type and raw == "event_type":
            breakdown = "event_type"
        elif isinstance(raw, str) and raw.startswith("properties."):
            breakdown = parse_property_key(raw.removeprefix("properties."), "breakdown")
        else:
            expected = '"event_type" or ' if allow_event_type else ""
            raise _error("breakdown", f'Breakdown is {expected}"properties.<key>".')
    limit = data.get("breakdown_limit", DEFAULT_BREAKDOWN_LIMIT)
    limit = parse_positive_int(limit, "breakdown_limit", maximum=MAX_BREAKDOWN_LIMIT)
    return breakdown, limit


def bucket_count(date_range: DateRange, interval: str) -> int:
    """Return how many ``interval`` buckets cover the range (an upper bound for months)."""
    seconds = (date_range.end - date_range.start).total_seconds()
    per_bucket = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 28 * 86400}
    return math.ceil(seconds / per_bucket[interval]) + 1


def parse_trends(data: Any) -> TrendsQuery:
    """Validate a trends query."""
    data = _require_mapping(data)
    allowed = {"events", "metric", "interval", "breakdown", "breakdown_limit", "compare"}
    _reject_unknown(data, allowed | {"date_from", "date_to", "filters"})
    events = data.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise _error("events", f"Give a list of 1 to {MAX_EVENTS} event types.")
    parsed_events = tuple(
        dict.fromkeys(parse_event_type(e, f"events.{i}") for i, e in enumerate(events))
    )
    metric = data.get("metric", "count")
    if metric not in METRICS:
        raise _error("metric", f"Metric is one of {', '.join(METRICS)}.")
    interval = data.get("interval", "day")
    if interval not in INTERVALS:
        raise _error("interval", f"Interval is one of {', '.join(INTERVALS)}.")
    compare = data.get("compare", False)
    if not isinstance(compare, bool):
        raise _error("compare", "compare is true or false.")
    breakdown, limit = _parse_breakdown(data, allow_event_type=True)
    date_range = parse_date_range(data)
    if bucket_count(date_range, interval) > MAX_BUCKETS:
        raise _error("interval", f"This range holds more than {MAX_BUCKETS} {interval}s.")
    return TrendsQuery(
        events=parsed_events,
        metric=metric,
        interval=interval,
        breakdown=breakdown,
        breakdown_limit=limit,
        compare=compare,
        date_range=date_range,
        filters=parse_filters(data.get("filters")),
    )


def parse_window(value: Any, path: str = "window_seconds") -> int:
    if value is None:
        raise _error(path, "A conversion window in seconds is required.")
    return parse_positive_int(value, path, maximum=MAX_WINDOW_SECONDS)


def parse_funnels(data: Any) -> FunnelsQuery:
    """Validate a funnels query."""
    data = _require_mapping(data)
    allowed = {"steps", "window_seconds", "breakdown", "breakdown_limit"}
    _reject_unknown(data, allowed | {"date_from", "date_to", "filters"})
    steps = data.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_FUNNEL_STEPS:
        raise _error("steps", f"A funnel has 1 to {MAX_FUNNEL_STEPS} steps.")
    parsed_steps = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            raise _error(f"steps.{index}", "A step is an object with an event_type.")
        unknown = sorted(set(step) - {"event_type", "filters"})
        if unknown:
            raise _error(f"steps.{index}.{unknown[0]}", "Unknown field.")
        parsed_steps.append(
            FunnelStep(
                event_type=parse_event_type(step.get("event_type"), f"steps.{index}.event_type"),
                filters=parse_filters(step.get("filters"), f"steps.{index}.filters"),
            )
        )
    breakdown, limit = _parse_breakdown(data, allow_event_type=False)
    return FunnelsQuery(
        steps=tuple(parsed_steps),
        window_seconds=parse_window(data.get("window_seconds")),
        breakdown=breakdown,
        breakdown_limit=limit,
        date_range=parse_date_range(data),
        filters=parse_filters(data.get("filters")),
    )


def parse_retention(data: Any) -> RetentionQuery:
    """Validate a retention query."""
    data = _require_mapping(data)
    allowed = {"start_event", "return_event", "period", "periods"}
    _reject_unknown(data, allowed | {"date_from", "date_to", "filters"})
    period = data.get("period", "week")
    if period not in RETENTION_PERIODS:
        raise _error("period", f"Period is one of {', '.join(RETENTION_PERIODS)}.")
    return RetentionQuery(
        start_event=parse_event_type(data.get("start_event"), "start_event"),
        return_event=parse_event_type(data.get("return_event"), "return_event"),
        period=period,
        periods=parse_positive_int(
            data.get("periods", 8), "periods", maximum=MAX_RETENTION_PERIODS
        ),
        date_range=parse_date_range(data),
        filters=parse_filters(data.get("filters")),
    )


def parse_ab_test(data: Any) -> AbTestQuery:
    """Validate an A/B test query."""
    data = _require_mapping(data)
    allowed = {
        "exposure_event",
        "variant_property",
        "goal_event",
        "window_seconds",
        "control",
        "confidence_level",
    }
    _reject_unknown(data, allowed | {"date_from", "date_to", "filters"})
    control = data.get("control")
    if control is not None and (not isinstance(control, str) or len(control) > 200):
        raise _error("control", "control is the name of a variant.")
    confidence = parse_number(data.get("confidence_level", 0.95), "confidence_level")
    if not 0.5 <= confidence < 1:
        raise _error("confidence_level", "confidence_level is between 0.5 and 1 (e.g. 0.95).")
    return AbTestQuery(
        exposure_event=parse_event_type(data.get("exposure_event"), "exposure_event"),
        variant_property=parse_property_key(data.get("variant_property"), "variant_property"),
        goal_event=parse_event_type(data.get("goal_event"), "goal_event"),
        window_seconds=parse_window(data.get("window_seconds")),
        control=control,
        confidence_level=confidence,
        date_range=parse_date_range(data),
        filters=parse_filters(data.get("filters")),
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
        raise _error("kind", f"Analysis kind is one of {', '.join(ANALYSIS_KINDS)}.")
    return PARSERS[kind](data)
