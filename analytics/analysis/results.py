"""Shape analysis results; shared by the PostgreSQL implementation and the reference one.

Only presentation lives here (bucket calendars, labels, rates, the A/B significance over
per-variant counts): the counting itself is done separately by each implementation, so the
tests that compare them compare the counting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from analytics.analysis.specs import NONE_LABEL, AbTestQuery, Scalar
from analytics.analysis.stats import ratio, two_proportion_z_test


def iso(moment: dt.datetime) -> str:
    """Render a UTC bucket start as ISO 8601 with an explicit offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def truncate(moment: dt.datetime, interval: str) -> dt.datetime:
    """Truncate a UTC moment to the start of its bucket (weeks start on Monday, like PG)."""
    moment = moment.astimezone(dt.UTC)
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    raise ValueError(interval)


def advance(bucket: dt.datetime, interval: str, steps: int = 1) -> dt.datetime:
    """Return the start of the bucket ``steps`` after ``bucket``."""
    if interval == "hour":
        return bucket + dt.timedelta(hours=steps)
    if interval == "day":
        return bucket + dt.timedelta(days=steps)
    if interval == "week":
        return bucket + dt.timedelta(weeks=steps)
    if interval == "month":
        months = bucket.year * 12 + bucket.month - 1 + steps
        return bucket.replace(year=months // 12, month=months % 12 + 1)
    raise ValueError(interval)


def buckets(start: dt.datetime, end: dt.datetime, interval: str) -> Iterator[dt.datetime]:
    """Yield the start of every bucket that overlaps ``[start, end)``."""
    bucket = truncate(start, interval)
    while bucket < end:
        yield bucket
        bucket = advance(bucket, interval)


def jsonb_text(value: Any) -> str | None:
    """Render a JSON value the way PostgreSQL's ``->>`` does (None for JSON null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(", ", ": "))


def breakdown_label(value: str | None) -> str:
    return NONE_LABEL if value is None else value


def json_equal(left: Any, right: Scalar) -> bool:
    """Compare like jsonb containment of a scalar: booleans are not numbers, 1 equals 1.0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return isinstance(left, str) and isinstance(right, str) and left == right


def funnel_steps(query_steps, counts: list[int], medians: list[float | None]) -> list[dict]:
    """Build the per-step rows of a funnel from the people at each step."""
    rows = []
    first = counts[0] if counts else 0
    for index, step in enumerate(query_steps):
        previous = counts[index - 1] if index else counts[0]
        rows.append(
            {
                "event_type": step.event_type,
                "count": counts[index],
                "conversion_rate": ratio(counts[index], first),
                "conversion_rate_from_previous": ratio(counts[index], previous),
                "median_seconds_to_convert": (
                    None if medians[index] is None else round(medians[index], 3)
                ),
            }
        )
    return rows


def retention_cohort(period_start: dt.datetime, size: int, values: list[int]) -> dict:
    return {
        "period_start": iso(period_start),
        "size": size,
        "values": values,
        "percentages": [round(100 * value / size, 2) if size else 0.0 for value in values],
    }


def retention_period_count(cohort: dt.datetime, end: dt.datetime, period: str, periods: int) -> int:
    """Return how many of the ``periods`` after a cohort start before the range ends."""
    count = 0
    while count < periods and advance(cohort, period, count) < end:
        count += 1
    return count


def ab_test_result(query: AbTestQuery, counts: Mapping[str, tuple[int, int]]) -> dict:
    """Turn per-variant ``(exposures, conversions)`` into rates and significance.

    Each variant is compared with the control by a two-proportion z-test; with more than
    one comparison the p-values are Bonferroni-adjusted, and the headline ``p_value`` is the
    smallest adjusted one.
    """
    names = sorted(counts)
    control = query.control if query.control in counts else (names[0] if names else None)
    comparisons = max(1, len(names) - 1)
    alpha = 1 - query.confidence_level
    variants = []
    p_values = []
    for name in names:
        exposures, conversions = counts[name]
        row = {
            "name": name,
            "exposures": exposures,
            "conversions": conversions,
            "rate": ratio(conversions, exposures),
            "is_control": name == control,
            "p_value": None,
            "difference": None,
            "ci_low": None,
            "ci_high": None,
        }
        if name != control:
            control_exposures, control_conversions = counts[control]
            test = two_proportion_z_test(
                control_conversions=control_conversions,
                control_exposures=control_exposures,
                conversions=conversions,
                exposures=exposures,
                confidence_level=1 - alpha / comparisons,
            )
            if test is not None:
                adjusted = min(1.0, test.p_value * comparisons)
                p_values.append(adjusted)
                row.update(
                    p_value=round(adjusted, 6),
                    difference=round(test.difference, 6),
                    ci_low=round(test.ci_low, 6),
                    ci_high=round(test.ci_high, 6),
                )
        variants.append(row)
    p_value = min(p_values) if p_values else None
    return {
        "control": control,
        "variants": variants,
        "p_value": None if p_value is None else round(p_value, 6),
        "significant": p_value is not None and p_value < alpha,
        "confidence_level": query.confidence_level,
    }
