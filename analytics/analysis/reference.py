"""Reference implementations of the analyses over plain Python tuples.

These are the executable specification of each analysis: slow, obvious loops over
``(distinct_id, event_type, timestamp, properties)`` tuples in insertion order. The tests
generate event sets with hypothesis and check that the PostgreSQL implementation (in
``analytics.analysis.sql``) gives exactly the same answers. Ties in time are broken by
insertion order, as the SQL breaks them by primary key.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from analytics.analysis import results
from analytics.analysis.specs import (
    OTHER_LABEL,
    AbTestQuery,
    DateRange,
    FunnelsQuery,
    PropertyFilter,
    RetentionQuery,
    TrendsQuery,
)
from analytics.analysis.stats import median_or_none


class RefEvent(NamedTuple):
    distinct_id: str
    event_type: str
    timestamp: dt.datetime
    properties: dict[str, Any]


def matches_filters(properties: dict, filters: Sequence[PropertyFilter]) -> bool:
    """Return whether every filter key holds one of its allowed values."""
    for key, allowed in filters:
        if key not in properties:
            return False
        if not any(results.json_equal(properties[key], value) for value in allowed):
            return False
    return True


def _in_scope(events: Iterable[RefEvent], date_range: DateRange, filters) -> list[RefEvent]:
    return [
        RefEvent(*event)
        for event in events
        if date_range.start <= event[2] < date_range.end and matches_filters(event[3], filters)
    ]


def _trend_value(events: list[RefEvent], metric: str) -> int:
    if metric == "count":
        return len(events)
    return len({event.distinct_id for event in events})


def _trends_series(query: TrendsQuery, events: list[RefEvent], date_range, labels) -> list[dict]:
    """Build the series for ``labels`` (plus "other" when ``labels`` is a strict subset)."""
    key_of = _trends_key(query)
    grouped: dict[tuple[str | None, dt.datetime], list[RefEvent]] = defaultdict(list)
    other: dict[dt.datetime, list[RefEvent]] = defaultdict(list)
    has_other = False
    label_set = set(labels)
    for event in events:
        bucket = results.truncate(event.timestamp, query.interval)
        key = key_of(event)
        if key in label_set:
            grouped[(key, bucket)].append(event)
        else:
            has_other = True
            other[bucket].append(event)
    calendar = list(results.buckets(date_range.start, date_range.end, query.interval))
    series = [
        {
            "label": results.breakdown_label(label),
            "is_other": False,
            "data": [
                {
                    "bucket": results.iso(bucket),
                    "value": _trend_value(grouped.get((label, bucket), []), query.metric),
                }
                for bucket in calendar
            ],
        }
        for label in labels
    ]
    if has_other:
        series.append(
            {
                "label": OTHER_LABEL,
                "is_other": True,
                "data": [
                    {
                        "bucket": results.iso(bucket),
                        "value": _trend_value(other.get(bucket, []), query.metric),
                    }
                    for bucket in calendar
                ],
            }
        )
    return series


def _trends_key(query: TrendsQuery):
    prop = query.breakdown_property
    if prop is None:
        return lambda event: event.event_type
    return lambda event: results.jsonb_text(event.properties.get(prop))


def trends(query: TrendsQuery, events: Iterable[RefEvent]) -> dict:
    """Count events (or distinct people) per bucket, per event type or breakdown value."""
    events = list(events)
    wanted = set(query.events)
    current = [
        e for e in _in_scope(events, query.date_range, query.filters) if e.event_type in wanted
    ]
    if query.breakdown is None:
        labels = list(query.events)
    else:
        key_of = _trends_key(query)
        totals: dict[str | None, list[RefEvent]] = defaultdict(list)
        if query.breakdown == "event_type":
            for event_type in query.events:
                totals[event_type] = []
        for event in current:
            totals[key_of(event)].append(event)
        ranked = sorted(
            totals,
            key=lambda key: (
                -_trend_value(totals[key], query.metric),
                results.breakdown_label(key),
            ),
        )
        labels = ranked[: query.breakdown_limit]
    payload = {"series": _trends_series(query, current, query.date_range, labels)}
    if query.compare:
        previous_range = query.date_range.previous()
        previous = [
            e for e in _in_scope(events, previous_range, query.filters) if e.event_type in wanted
        ]
        payload["previous"] = _trends_series(query, previous, previous_range, labels)
    return payload


def funnels(query: FunnelsQuery, events: Iterable[RefEvent]) -> dict:
    """Follow each person through the ordered steps within the window from their first step."""
    scoped = _in_scope(events, query.date_range, query.filters)
    by_person: dict[str, list[RefEvent]] = defaultdict(list)
    for event in scoped:
        by_person[event.distinct_id].append(event)
    window = dt.timedelta(seconds=query.window_seconds)
    step_count = len(query.steps)
    groups: dict[str | None, tuple[list[int], list[list[float]]]] = {}
    overall = ([0] * step_count, [[] for _ in range(step_count)])

    def matches(event: RefEvent, index: int) -> bool:
        step = query.steps[index]
        return event.event_type == step.event_type and matches_filters(
            event.properties, step.filters
        )

    for person_events in by_person.values():
        ordered = sorted(enumerate(person_events), key=lambda pair: (pair[1].timestamp, pair[0]))
        entries = [event for _, event in ordered if matches(event, 0)]
        if not entries:
            continue
        first = entries[0]
        value = (
            results.jsonb_text(first.properties.get(query.breakdown)) if query.breakdown else None
        )
        group = groups.setdefault(value, ([0] * step_count, [[] for _ in range(step_count)]))
        deadline = first.timestamp + window
        previous = first.timestamp
        for index in range(step_count):
            if index:
                candidates = [
                    event.timestamp
                    for _, event in ordered
                    if matches(event, index) and previous < event.timestamp <= deadline
                ]
                if not candidates:
                    break
                reached = min(candidates)
                seconds = (reached - previous).total_seconds()
                overall[1][index].append(seconds)
                group[1][index].append(seconds)
                previous = reached
            overall[0][index] += 1
            group[0][index] += 1

    def shape(counts, durations):
        return results.funnel_steps(
            query.steps, counts, [median_or_none(values) for values in durations]
        )

    payload = {"steps": shape(*overall)}
    if query.breakdown:
        ranked = sorted(
            groups, key=lambda value: (-groups[value][0][0], results.breakdown_label(value))
        )
        payload["breakdown"] = [
            {"value": results.breakdown_label(value), "steps": shape(*groups[value])}
            for value in ranked[: query.breakdown_limit]
        ]
    return payload


def retention(query: RetentionQuery, events: Iterable[RefEvent]) -> dict:
    """Group people by the period of their first start event; count their returns after."""
    scoped = _in_scope(events, query.date_range, query.filters)
    first_start: dict[str, dt.datetime] = {}
    returns: dict[str, set[dt.datetime]] = defaultdict(set)
    for event in scoped:
        if event.event_type == query.start_event:
            known = first_start.get(event.distinct_id)
            if known is None or event.timestamp < known:
                first_start[event.distinct_id] = event.timestamp
        if event.event_type == query.return_event:
            returns[event.distinct_id].add(results.truncate(event.timestamp, query.period))
    cohorts: dict[dt.datetime, list[str]] = defaultdict(list)
    for person, moment in first_start.items():
        cohorts[results.truncate(moment, query.period)].append(person)
    rows = []
    for cohort in sorted(cohorts):
        people = cohorts[cohort]
        count = results.retention_period_count(
            cohort, query.date_range.end, query.period, query.periods
        )
        values = [len(people)]
        for offset in range(1, count):
            target = results.advance(cohort, query.period, offset)
            values.append(sum(1 for person in people if target in returns[person]))
        rows.append(results.retention_cohort(cohort, len(people), values))
    return {"cohorts": rows}


def ab_test(query: AbTestQuery, events: Iterable[RefEvent]) -> dict:
    """Assign each person the variant of their first exposure; count goals within the window."""
    scoped = _in_scope(events, query.date_range, query.filters)
    exposure: dict[str, tuple[dt.datetime, str]] = {}
    goals: dict[str, list[dt.datetime]] = defaultdict(list)
    for event in scoped:
        if event.event_type == query.exposure_event:
            variant = results.jsonb_text(event.properties.get(query.variant_property))
            known = exposure.get(event.distinct_id)
            if variant is not None and (known is None or event.timestamp < known[0]):
                exposure[event.distinct_id] = (event.timestamp, variant)
        if event.event_type == query.goal_event:
            goals[event.distinct_id].append(event.timestamp)
    window = dt.timedelta(seconds=query.window_seconds)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for person, (moment, variant) in exposure.items():
        counts[variant][0] += 1
        if any(moment < goal <= moment + window for goal in goals[person]):
            counts[variant][1] += 1
    return results.ab_test_result(query, {name: tuple(pair) for name, pair in counts.items()})
