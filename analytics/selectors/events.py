"""Reads of raw events and the event-type catalogue (from rollups, never raw scans)."""

from __future__ import annotations

import math

from django.db.models import Max, Q, QuerySet, Sum

from analytics.choices import EventType
from analytics.models import Event, EventHourlyCount
from analytics.query_language import property_key


def events_for_workspace(*, workspace) -> QuerySet[Event]:
    """Return the workspace's events, newest first."""
    return Event.objects.filter(workspace=workspace).order_by("-created_at", "-id")


def _typed_variants(value: str) -> list:
    """Return ``value`` and the JSON scalars it may stand for (``3``, ``true``...)."""
    variants: list = [value]
    lowered = value.lower()
    if lowered in ("true", "false"):
        variants.append(lowered == "true")
    elif lowered == "null":
        variants.append(None)
    else:
        try:
            variants.append(int(value))
        except ValueError:  # not an integer, or past Python's 4,300-digit limit
            try:
                number = float(value)
            except ValueError:
                number = None
            # "nan", "inf" and 400-digit numbers parse as floats JSON cannot hold: text only.
            if number is not None and math.isfinite(number):
                variants.append(number)
    return variants


def events_filter_properties(queryset: QuerySet[Event], params: dict[str, str]) -> QuerySet[Event]:
    """Keep events whose top-level property equals each ``properties.<key>=<value>`` given.

    A query string carries text, so ``properties.count=3`` matches the number 3 and the string
    "3" alike. Containment (``@>``) keeps the comparison exact on JSON types.
    """
    for name, value in params.items():
        key = property_key(name)
        if key is None:
            continue
        condition = Q()
        for variant in _typed_variants(value):
            condition |= Q(properties__contains={key: variant})
        queryset = queryset.filter(condition)
    return queryset


def event_types_for_workspace(*, workspace) -> QuerySet:
    """Return the event types seen in the workspace with their counts (most frequent first)."""
    return (
        EventHourlyCount.objects.filter(workspace=workspace)
        .values("event_type")
        .annotate(count=Sum("count"), last_seen_hour=Max("hour"))
        .order_by("-count", "event_type")
    )


KNOWN_EVENT_TYPES = frozenset(EventType.values)
