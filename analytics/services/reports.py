"""Reports: create/update/delete with a validated spec and schedule, request and execute runs."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from analytics.choices import RunStatus, RunTrigger, Sharing
from analytics.models import Report, ReportRun
from analytics.query_spec import QuerySpec, QuerySpecError, query_spec_parse
from analytics.selectors.queries import query_run, query_spec_check_compiles
from analytics.selectors.reports import REPORT_RESULT_NAMESPACE
from synapscale.cache import invalidate, invalidate_on_commit
from synapscale.cron import cron_parse, crontab_row
from synapscale.query_budget import query_budget
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update
from synapscale.task_policy import send_on_commit

logger = logging.getLogger(__name__)


SCHEDULED_TASK = "analytics.tasks.report_run_scheduled"
PERIODIC_PREFIX = "analytics:report:"


def query_spec_validate(*, query: Any, workspace_id: int, field: str = "query") -> QuerySpec:
    """Parse and compile a spec; raise ValidationError with ``<field>.<path>`` keys."""
    try:
        spec = query_spec_parse(query)
        query_spec_check_compiles(spec=spec, workspace_id=workspace_id)
    except QuerySpecError as exc:
        raise ValidationError(
            {
                f"{field}.{path}" if path != "non_field_errors" else field: messages
                for path, messages in exc.errors.items()
            }
        ) from exc
    return spec


def _schedule_sync(report: Report) -> None:
    """Create, update or remove the report's django-celery-beat entry to match ``schedule``."""
    if not report.schedule:
        if report.periodic_task_id:
            task = report.periodic_task
            report.periodic_task = None
            report.save(update_fields=["periodic_task"])
            task.delete()
        return
    cron = crontab_row(report.schedule)
    task = report.periodic_task or PeriodicTask(name=f"{PERIODIC_PREFIX}{report.pk}")
    task.task = SCHEDULED_TASK
    task.crontab = cron
    task.interval = None
    task.args = json.dumps([report.pk])
    task.enabled = True
    task.description = f"Scheduled run of report {report.pk} ({report.name})"
    task.save()
    if report.periodic_task_id != task.pk:
        report.periodic_task = task
        report.save(update_fields=["periodic_task"])


AUDITED_FIELDS = ["name", "description", "query", "schedule", "sharing"]


@transaction.atomic
def report_create(
    *,
    workspace,
    owner,
    name: str,
    query: Any,
    description: str = "",
    schedule: str = "",
    sharing: str = Sharing.WORKSPACE,
) -> Report:
    """Create a report after validating its spec and schedule."""
    query_spec_validate(query=query, workspace_id=workspace.id)
    schedule = " ".join(schedule.split())
    if schedule:
        cron_parse(schedule)
    report = Report(
        workspace=workspace,
        owner=owner,
        name=name,
        description=description,
        query=query,
        schedule=schedule,
        sharing=sharing,
    )
    report.full_clean()
    report.save()
    _schedule_sync(report)
    record_audit_event(
        action="report.created",
        target=report,
        actor=owner,
        changes=audit_changes({}, report, fields=AUDITED_FIELDS),
    )
    return report


@transaction.atomic
def report_update(*, report: Report, **changes: Any) -> Report:
    """Change a report's name, description, query, schedule or sharing."""
    if "query" in changes:
        query_spec_validate(query=changes["query"], workspace_id=report.workspace_id)
    if "schedule" in changes:
        changes["schedule"] = " ".join((changes["schedule"] or "").split())
        if changes["schedule"]:
            cron_parse(changes["schedule"])
    before = audit_snapshot(report, fields=AUDITED_FIELDS)
    report, has_updated = model_update(instance=report, fields=AUDITED_FIELDS, data=changes)
    if not has_updated:
        return report
    _schedule_sync(report)
    record_audit_event(
        action="report.updated",
        target=report,
        changes=audit_changes(before, report, fields=AUDITED_FIELDS),
    )
    invalidate_on_commit(REPORT_RESULT_NAMESPACE, report.workspace_id)
    return report


@transaction.atomic
def report_delete(*, report: Report) -> None:
    """Delete a report, its runs and its schedule entry."""
    task = report.periodic_task
    record_audit_event(
        action="report.deleted",
        target=report,
        changes=audit_changes(audit_snapshot(report, fields=["name"]), None),
    )
    report.delete()
    if task is not None:
        task.delete()


def report_run_request(*, report: Report, trigger: str, user=None) -> ReportRun:
    """Queue a run of ``report``; a worker executes it after the transaction commits."""
    from analytics.tasks import report_run_execute_task

    with transaction.atomic():
        run = ReportRun.objects.create(
            report=report, workspace_id=report.workspace_id, trigger=trigger, triggered_by=user
        )
        record_audit_event(
            action="report.run_requested",
            target=report,
            actor=user,
            changes={"run_id": run.pk, "trigger": trigger},
        )
        send_on_commit(report_run_execute_task, kind="report_run", args=[run.pk])
    return run


def run_is_claimable(*, status: str, started_at) -> bool:
    """Queued, or "running" past the hard time limit (its worker died: nothing still runs it)."""
    if status == RunStatus.QUEUED:
        return True
    stale_before = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return status == RunStatus.RUNNING and started_at is not None and started_at < stale_before


def report_run_execute(*, run_id: int) -> ReportRun:
    """Execute a queued run: compute the spec, store rows, row count, duration or the error."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().select_related("report").get(pk=run_id)
        if not run_is_claimable(status=run.status, started_at=run.started_at):
            return run  # a redelivered task: the run already happened or is happening
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    began = time.monotonic()
    try:
        spec = query_spec_parse(run.report.query)
        with query_budget("report"):
            result = query_run(spec=spec, workspace_id=run.workspace_id)
    except Exception as exc:  # the run records any failure; the worker must not crash on it
        logger.exception("report_run_failed run_id=%s", run_id)
        run.status, run.error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    else:
        run.status, run.result, run.row_count = RunStatus.SUCCEEDED, result, result["row_count"]
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - began) * 1000)
    run.save(update_fields=["status", "result", "row_count", "error", "finished_at", "duration_ms"])
    invalidate(REPORT_RESULT_NAMESPACE, run.workspace_id)
    logger.info(
        "report_run_finished run_id=%s status=%s ms=%s", run_id, run.status, run.duration_ms
    )
    return run


def report_run_scheduled(*, report_id: int) -> ReportRun | None:
    """Run a scheduled report now (called by its django-celery-beat entry, in a worker)."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None or not report.schedule:
        return None
    run = ReportRun.objects.create(
        report=report, workspace_id=report.workspace_id, trigger=RunTrigger.SCHEDULE
    )
    return report_run_execute(run_id=run.pk)
