"""Compile a validated query spec into ORM queries over whitelisted fields, and run it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Avg, Count, F, FloatField, Func, Q, QuerySet, Sum, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Trunc
from django.utils import timezone

from analytics.choices import ReportMetric, ReportSource
from analytics.models import Event
from analytics.query_language import DateRange, Filter, moment_parse, property_key
from analytics.query_spec import SOURCES, TIME_FILTER_FIELD, QuerySpec, QuerySpecError
from executions.selectors.activity import executions_of_workspace
from templates_app.selectors.activity import installs_of_published_templates

GROUP_KEY = "group_key"


class JsonbTypeof(Func):
    function = "jsonb_typeof"
    output_field = TextField()


def _base_queryset(source: str, workspace_id: int) -> QuerySet:
    if source == ReportSource.EVENTS:
        return Event.objects.filter(workspace_id=workspace_id)
    if source == ReportSource.EXECUTIONS:
        return executions_of_workspace(workspace_id=workspace_id)
    # Templates: installs of the templates this workspace publishes (its marketplace side).
    return installs_of_published_templates(workspace_id=workspace_id)


def _numeric(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _filter_condition(index: int, spec_filter, lookup_of, time_field: str) -> Q:
    key = property_key(spec_filter.field)
    op, value = spec_filter.op, spec_filter.value
    if key is not None:
        if op in ("eq", "neq", "in"):
            values = value if op == "in" else [value]
            condition = Q()
            for item in values:
                condition |= Q(properties__contains={key: item})
            return ~condition if op == "neq" else condition
        # The key is read through an annotation (``_property_<n>``), never spliced into a
        # lookup string, where a "__" in it would become a nested path or a lookup.
        if op == "contains":
            return Q(**{f"_property_{index}__icontains": str(value)})
        # Ordered comparisons only between JSON numbers (jsonb orders strings above numbers).
        typed = Q(**{f"_property_{index}__{op}": value})
        kind = "number" if _numeric(value) else "string"
        return typed & Q(**{f"_type_{index}": kind})
    if spec_filter.field == TIME_FILTER_FIELD:
        # Validated by the parser: an ISO date or datetime, compared as a UTC moment.
        moment = moment_parse(value, "value", {}, end_of_day=False)
        return Q(**{f"{time_field}__{op}": moment})
    lookup = lookup_of[spec_filter.field]
    if op == "eq":
        return Q(**{lookup: value})
    if op == "neq":
        return ~Q(**{lookup: value})
    if op == "in":
        return Q(**{f"{lookup}__in": value})
    if op == "contains":
        return Q(**{f"{lookup}__icontains": str(value)})
    return Q(**{f"{lookup}__{op}": value})


def _property_annotations(filters) -> dict:
    annotations = {}
    for index, spec_filter in enumerate(filters):
        key = property_key(spec_filter.field)
        if key is None or spec_filter.op in ("eq", "neq", "in"):
            continue
        annotations[f"_property_{index}"] = KeyTransform(key, "properties")
        if spec_filter.op != "contains":
            annotations[f"_type_{index}"] = JsonbTypeof(KeyTransform(key, "properties"))
    return annotations


def _metric_expression(spec: QuerySpec):
    source = SOURCES[spec.source]
    if spec.metric == ReportMetric.COUNT:
        return Count("id"), None
    if spec.metric == ReportMetric.UNIQUE_PEOPLE:
        return Count(source.people, distinct=True), None
    key = property_key(spec.property)
    if key is not None:
        target = Cast(KeyTransform(key, "properties"), FloatField())
        only_numbers = Q(_metric_type="number")
        typeof = JsonbTypeof(KeyTransform(key, "properties"))
    else:
        target, only_numbers, typeof = F(source.numeric[spec.property]), None, None
    aggregate = Sum(target) if spec.metric == ReportMetric.SUM else Avg(target)
    return aggregate, (typeof, only_numbers) if typeof is not None else None


def query_filtered(
    *,
    source: str,
    workspace_id: int,
    filters: Sequence[Filter],
    start: datetime | None,
    end: datetime | None,
) -> QuerySet:
    """Return the source's rows of the workspace in ``[start, end)`` matching every filter.

    The one compilation of the filter language into the ORM: reports, widgets, alert rules
    and exports all narrow their rows here. No bound (None) leaves that side open.
    """
    fields = SOURCES[source]
    queryset = _base_queryset(source, workspace_id)
    if start is not None:
        queryset = queryset.filter(**{f"{fields.time_field}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{fields.time_field}__lt": end})
    annotations = _property_annotations(filters)
    if annotations:
        queryset = queryset.annotate(**annotations)
    for index, spec_filter in enumerate(filters):
        condition = _filter_condition(index, spec_filter, fields.fields, fields.time_field)
        queryset = queryset.filter(condition)
    return queryset


def query_compile(*, spec: QuerySpec, workspace_id: int, start: datetime, end: datetime):
    """Return (queryset, aggregate expression): filtered and, if grouped, keyed by GROUP_KEY."""
    source = SOURCES[spec.source]
    queryset = query_filtered(
        source=spec.source,
        workspace_id=workspace_id,
        filters=spec.filters,
        start=start,
        end=end,
    )
    aggregate, numeric_guard = _metric_expression(spec)
    if numeric_guard is not None:
        typeof, only_numbers = numeric_guard
        queryset = queryset.annotate(_metric_type=typeof).filter(only_numbers)
    if spec.group_by is None:
        return queryset, aggregate
    if spec.groups_by_time:
        key_expression = Trunc(source.time_field, spec.group_by, tzinfo=UTC)
    elif property_key(spec.group_by) is not None:
        key_expression = KeyTextTransform(property_key(spec.group_by), "properties")
    else:
        key_expression = F(source.fields[spec.group_by])
    return queryset.annotate(**{GROUP_KEY: key_expression}).values(GROUP_KEY), aggregate


def query_spec_check_compiles(*, spec: QuerySpec, workspace_id: int) -> None:
    """Build the SQL once so a value of the wrong type (a text user id) fails at save time."""
    start, end = spec.date_range.bounds(timezone.now())
    try:
        queryset, aggregate = query_compile(
            spec=spec, workspace_id=workspace_id, start=start, end=end
        )
        str(queryset.annotate(value=aggregate).query)
    except (ValueError, TypeError, DjangoValidationError) as exc:
        raise QuerySpecError(
            {"filters": [f"A filter value does not fit its field: {exc}"]}
        ) from exc


def query_filters_check_compiles(*, source: str, filters: Sequence[Filter]) -> None:
    """Build the filters' SQL once; raise QuerySpecError when a value does not fit its field."""
    try:
        queryset = query_filtered(
            source=source, workspace_id=0, filters=filters, start=None, end=None
        )
        str(queryset.query)
    except (ValueError, TypeError, DjangoValidationError) as exc:
        raise QuerySpecError(
            {"filters": [f"A filter value does not fit its field: {exc}"]}
        ) from exc


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _bucket_starts(interval: str, start: datetime, end: datetime) -> list[datetime]:
    """Every bucket start of ``interval`` from the one containing ``start`` up to ``end``."""
    if interval == "hour":
        current, step = start.replace(minute=0, second=0, microsecond=0), timedelta(hours=1)
    else:
        current, step = start.replace(hour=0, minute=0, second=0, microsecond=0), timedelta(days=1)
        if interval == "week":
            current -= timedelta(days=current.weekday())
            step = timedelta(days=7)
        elif interval == "month":
            current = current.replace(day=1)
    buckets = []
    while current < end:
        buckets.append(current)
        if interval == "month":
            year, month = divmod(current.month, 12)
            current = current.replace(year=current.year + year, month=month + 1)
        else:
            current += step
    return buckets


def query_run(
    *,
    spec: QuerySpec,
    workspace_id: int,
    now: datetime | None = None,
    date_range: DateRange | None = None,
) -> dict:
    """Run the spec and return ``{"rows": [{"key", "value"}], "row_count", ...}``."""
    now = now or timezone.now()
    start, end = (date_range or spec.date_range).bounds(now)
    queryset, aggregate = query_compile(spec=spec, workspace_id=workspace_id, start=start, end=end)
    zero = 0 if spec.metric in (ReportMetric.COUNT, ReportMetric.UNIQUE_PEOPLE) else None
    truncated = False
    if spec.group_by is None:
        value = queryset.aggregate(value=aggregate)["value"]
        rows = [{"key": None, "value": _plain(value if value is not None else zero)}]
    elif spec.groups_by_time:
        found = {
            row[GROUP_KEY]: row["value"]
            for row in queryset.annotate(value=aggregate).order_by(GROUP_KEY)
        }
        buckets = _bucket_starts(spec.group_by, start, end)
        truncated = len(buckets) > spec.limit
        rows = [
            {"key": bucket.isoformat(), "value": _plain(found.get(bucket, zero))}
            for bucket in buckets[-spec.limit :]
        ]
    else:
        grouped = queryset.annotate(value=aggregate).order_by(
            F("value").desc(nulls_last=True), GROUP_KEY
        )
        found = list(grouped[: spec.limit + 1])
        truncated = len(found) > spec.limit
        rows = [
            {"key": row[GROUP_KEY], "value": _plain(row["value"])} for row in found[: spec.limit]
        ]
    return {
        "rows": rows,
        "row_count": len(rows),
        "truncated": truncated,
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
    }
