"""Exports: request one, build its file on a worker in chunks, expire old files."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from analytics.choices import ExportFormat, ExportSource, ExportStatus, RunStatus
from analytics.masking import mask_text, mask_value
from analytics.models import Export, Report, ReportRun
from analytics.query_language import (
    Filter,
    date_range_parse,
    filters_are_legacy,
    filters_parse,
    named_filters_parse,
)
from analytics.query_spec import SOURCES, TIME_FILTER_FIELD, QuerySpecError
from analytics.selectors.queries import query_filtered, query_filters_check_compiles
from analytics.selectors.reports import reports_visible
from analytics.services.reports import run_is_claimable
from synapscale.choices import MANAGE_ROLES
from synapscale.filtersets import AuditEventFilterSet
from synapscale.json_values import json_safe
from synapscale.query_budget import query_budget
from synapscale.quotas import quota_check_total, quota_take
from synapscale.selectors.audit import audit_events
from synapscale.services.audit import record_audit_event
from synapscale.task_policy import send_on_commit

logger = logging.getLogger(__name__)

EXPORT_TTL = timedelta(days=7)
CHUNK_ROWS = 2000
CHECK_EVERY = 500
EVENT_COLUMNS = (
    "event_id",
    "event_type",
    "user_id",
    "distinct_id",
    "session_id",
    "properties",
    "ip",
    "user_agent",
    "page_url",
    "referrer",
    "created_at",
    "received_at",
)
EXECUTION_COLUMNS = (
    "id",
    "workflow_id",
    "workflow__name",
    "status",
    "trigger",
    "created_by__email",
    "created_at",
    "started_at",
    "finished_at",
    "duration_ms",
)
# Columns that can hold personal data (emails, addresses) and are masked for non-admins.
PERSONAL_COLUMNS = frozenset(
    {"distinct_id", "properties", "ip", "page_url", "referrer", "created_by__email", "key"}
)
AUDIT_COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_user_id",
    "actor_label",
    "actor_token_id",
    "target_type",
    "target_id",
    "changes",
    "client_ip",
    "user_agent",
    "request_id",
)


def export_filters_parse(*, source: str, filters: Any, date_range: Any = None) -> list[dict]:
    """Validate an events or executions export's filters and date range; return the list.

    The query language's list of ``{field, op, value}``; the old named filters
    (``{"event_type": "a,b", "created_after": ..., "properties": {...}}``) are converted.
    A date range (none: all time) becomes two ``created_at`` filters, resolved now.
    """
    errors: dict = {}
    rules = SOURCES[source].rules
    if filters_are_legacy(filters):
        parsed = named_filters_parse(filters, source=source, rules=rules, errors=errors)
    else:
        parsed = filters_parse(filters, rules=rules, errors=errors)
    resolved = date_range_parse(date_range, errors, default=None)
    if errors:
        raise ValidationError(errors)
    if resolved is not None:
        parsed = (
            *parsed,
            Filter(field=TIME_FILTER_FIELD, op="gte", value=resolved.start.isoformat()),
            Filter(field=TIME_FILTER_FIELD, op="lt", value=resolved.end.isoformat()),
        )
    try:
        query_filters_check_compiles(source=source, filters=parsed)
    except QuerySpecError as exc:
        raise ValidationError(exc.errors) from exc
    return [dataclasses.asdict(item) for item in parsed]


def _selection_queryset(source: str, workspace_id: int, filters: Any):
    parsed = [Filter(**item) for item in export_filters_parse(source=source, filters=filters)]
    return query_filtered(
        source=source, workspace_id=workspace_id, filters=parsed, start=None, end=None
    )


def _audit_query(filters: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in filters.items():
        for item in value if isinstance(value, list) else [value]:
            query.appendlist(name, str(item))
    return query


def _audit_queryset(workspace_id: int, filters: dict):
    """The workspace's audit events, filtered like GET /api/v1/audit/ (the same FilterSet)."""
    if not isinstance(filters, dict):
        raise ValidationError({"filters": ["Must be an object."]})
    unknown = set(filters) - set(AuditEventFilterSet.base_filters)
    if unknown:
        raise ValidationError({f"filters.{name}": ["Unknown filter."] for name in sorted(unknown)})
    filterset = AuditEventFilterSet(
        data=_audit_query(filters), queryset=audit_events(workspace_id=workspace_id)
    )
    if not filterset.is_valid():
        raise ValidationError({f"filters.{k}": v for k, v in filterset.errors.items()})
    return filterset.qs


def _selection(*, workspace, user, membership, source, filters, date_range, report_run_id):
    """Validate what an export selects; return the filters to store and the report run."""
    if source in (ExportSource.EVENTS, ExportSource.EXECUTIONS):
        return export_filters_parse(source=source, filters=filters, date_range=date_range), None
    if date_range is not None:
        raise ValidationError({"date_range": ["Only events and executions exports take one."]})
    if source == ExportSource.AUDIT:
        if membership.role not in MANAGE_ROLES:
            raise PermissionDenied(
                "Only the workspace's owners and admins may export its audit log."
            )
        _audit_queryset(workspace.id, filters or {})
        return filters or {}, None
    if source == ExportSource.REPORT_RUN:
        # A private report's rows are its owner's: another member's id answers like a wrong one.
        visible = reports_visible(queryset=Report.objects.filter(workspace=workspace), user=user)
        report_run = ReportRun.objects.filter(
            pk=report_run_id, workspace=workspace, status=RunStatus.SUCCEEDED, report__in=visible
        ).first()
        if report_run is None:
            raise ValidationError(
                {"report_run": ["No succeeded run with this id in the workspace."]}
            )
        return filters or {}, report_run
    raise ValidationError({"source": [f"One of {list(ExportSource.values)}."]})


def export_request(
    *,
    workspace,
    user,
    membership,
    source: str,
    format: str = ExportFormat.CSV,
    filters: Any = None,
    date_range: Any = None,
    report_run_id: int | None = None,
) -> Export:
    """Validate and queue an export; personal data is masked unless the requester is an admin."""
    filters, report_run = _selection(
        workspace=workspace,
        user=user,
        membership=membership,
        source=source,
        filters=filters,
        date_range=date_range,
        report_run_id=report_run_id,
    )
    if format not in ExportFormat.values:
        raise ValidationError({"format": [f"One of {list(ExportFormat.values)}."]})
    quota_check_total(
        workspace_id=workspace.id,
        name="exports_building",
        current=exports_building_count(workspace.id),
    )
    quota_take(workspace_id=workspace.id, name="exports_per_day")
    from analytics.tasks import export_build_task

    with transaction.atomic():
        export = Export.objects.create(
            workspace=workspace,
            requested_by=user,
            source=source,
            filters=filters,
            report_run=report_run,
            format=format,
            masked=membership.role not in MANAGE_ROLES,
        )
        record_audit_event(
            action="export.requested",
            target=export,
            actor=user,
            changes={
                "source": source,
                "format": format,
                "filters": filters,
                "report_run_id": report_run_id,
                "masked": export.masked,
            },
        )
        send_on_commit(export_build_task, kind="export", args=[export.pk])
    return export


def _rows(export: Export) -> tuple[tuple[str, ...], Iterator[tuple]]:
    if export.source == ExportSource.EVENTS:
        queryset = _selection_queryset(
            ExportSource.EVENTS, export.workspace_id, export.filters
        ).order_by("created_at", "id")
        return EVENT_COLUMNS, queryset.values_list(*EVENT_COLUMNS).iterator(chunk_size=CHUNK_ROWS)
    if export.source == ExportSource.EXECUTIONS:
        queryset = _selection_queryset(
            ExportSource.EXECUTIONS, export.workspace_id, export.filters
        ).order_by("created_at", "id")
        return EXECUTION_COLUMNS, queryset.values_list(*EXECUTION_COLUMNS).iterator(
            chunk_size=CHUNK_ROWS
        )
    if export.source == ExportSource.AUDIT:
        queryset = _audit_queryset(export.workspace_id, export.filters).order_by("created_at", "id")
        return AUDIT_COLUMNS, queryset.values_list(*AUDIT_COLUMNS).iterator(chunk_size=CHUNK_ROWS)
    rows = (export.report_run.result or {}).get("rows", [])
    return ("key", "value"), ((row["key"], row["value"]) for row in rows)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_neutralise(text: str) -> str:
    """Prefix a text cell a spreadsheet would read as a formula with ``'`` (shown as text)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(json_safe(value)).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return csv_cell_neutralise(value)
    return str(value)  # numbers: -5 is a number, not a formula


def _masked(columns, row) -> tuple:
    return tuple(
        (mask_value(value) if isinstance(value, dict | list) else mask_text(str(value)))
        if name in PERSONAL_COLUMNS and value is not None
        else value
        for name, value in zip(columns, row, strict=True)
    )


class ExportTooLarge(Exception):
    """The export passed EXPORT_MAX_ROWS or EXPORT_MAX_BYTES; it fails, naming the cap."""


def _check_caps(count: int, size: int) -> None:
    if count > settings.EXPORT_MAX_ROWS:
        raise ExportTooLarge(
            f"More than {settings.EXPORT_MAX_ROWS} rows (EXPORT_MAX_ROWS); narrow the filters."
        )
    if size > settings.EXPORT_MAX_BYTES:
        raise ExportTooLarge(
            f"Larger than {settings.EXPORT_MAX_BYTES} bytes (EXPORT_MAX_BYTES); narrow the filters."
        )


def exports_building_count(workspace_id: int) -> int:
    """Exports of the workspace queued or building (its `exports_building` quota)."""
    return Export.objects.filter(
        workspace_id=workspace_id, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)
    ).count()


def _write(export: Export, handle) -> int:
    """Write every row; the caps are checked every CHECK_EVERY rows and at the end."""
    columns, rows = _rows(export)
    count = 0
    csv_text = None
    if export.format == ExportFormat.CSV:
        csv_text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.writer(csv_text)
        writer.writerow(columns)
    for row in rows:
        if export.masked:
            row = _masked(columns, row)
        if csv_text is not None:
            writer.writerow([_cell(value) for value in row])
        else:
            handle.write(orjson.dumps(json_safe(dict(zip(columns, row, strict=True))), default=str))
            handle.write(b"\n")
        count += 1
        if count % CHECK_EVERY == 0 or count > settings.EXPORT_MAX_ROWS:
            if csv_text is not None:
                csv_text.flush()
            _check_caps(count, handle.tell())
    if csv_text is not None:
        csv_text.flush()
        csv_text.detach()
    _check_caps(count, handle.tell())
    return count


def export_build(*, export_id: int) -> Export:
    """Stream the export's rows in chunks into a temporary file, then into default storage."""
    with transaction.atomic():
        export = (
            Export.objects.select_for_update(of=("self",))
            .select_related("report_run")
            .get(pk=export_id)
        )
        if not run_is_claimable(status=export.status, started_at=export.started_at):
            return export
        export.status = ExportStatus.RUNNING
        export.started_at = timezone.now()
        export.save(update_fields=["status", "started_at"])
    try:
        with tempfile.TemporaryFile() as handle, query_budget("export"):
            row_count = _write(export, handle)
            handle.seek(0)
            name = f"exports/{export.workspace_id}/export-{export.pk}.{export.format}"
            export.file.save(name, File(handle), save=False)
        export.size_bytes = export.file.size
        export.row_count = row_count
        export.status = ExportStatus.SUCCEEDED
        export.expires_at = timezone.now() + EXPORT_TTL
    except Exception as exc:  # recorded on the export; the worker must not die on it
        logger.exception("export_build_failed export_id=%s", export_id)
        export.status, export.error = ExportStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    export.finished_at = timezone.now()
    export.save()
    logger.info(
        "export_built export_id=%s status=%s rows=%s", export.pk, export.status, export.row_count
    )
    return export


def exports_expire(*, now=None) -> int:
    """Delete the files of exports past ``expires_at``; return how many expired."""
    now = now or timezone.now()
    expired = 0
    for export in Export.objects.filter(status=ExportStatus.SUCCEEDED, expires_at__lt=now):
        if export.file:
            default_storage.delete(export.file.name)
        export.file = ""
        export.status = ExportStatus.EXPIRED
        export.save(update_fields=["file", "status"])
        expired += 1
    return expired


def export_download_record(*, export: Export, user) -> None:
    """Audit that `user` fetched the export's file (the view streams it)."""
    record_audit_event(
        action="export.downloaded",
        target=export,
        actor=user,
        changes={"masked": export.masked, "row_count": export.row_count},
    )


def export_can_download(*, export: Export, membership) -> bool:
    """Unmasked files carry personal data: only workspace admins may fetch them."""
    return export.masked or membership.role in MANAGE_ROLES
