"""Reads of reports, their runs and their latest result."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from analytics.choices import RunStatus, Sharing
from analytics.models import Report, ReportRun
from synapscale.cache import CachedResult, Policy, cached_read
from synapscale.choices import MANAGE_ROLES

REPORT_RESULT_NAMESPACE = "analytics.reports.result"


def reports_visible(*, queryset: QuerySet[Report], user) -> QuerySet[Report]:
    """Keep the reports shared with the workspace and the user's own private ones."""
    return queryset.filter(Q(sharing=Sharing.WORKSPACE) | Q(owner=user)).select_related("owner")


def report_can_edit(*, report, user, membership) -> bool:
    """Owners edit their reports (and dashboards); workspace owners/admins edit any."""
    return report.owner_id == user.id or membership.role in MANAGE_ROLES


def report_runs(*, report: Report) -> QuerySet[ReportRun]:
    return report.runs.select_related("triggered_by").order_by("-created_at", "-id")


def report_latest_succeeded_run(*, report: Report) -> ReportRun | None:
    return report_runs(report=report).filter(status=RunStatus.SUCCEEDED).first()


def report_result_cached(*, report: Report, refresh: bool = False) -> CachedResult | None:
    """Return the latest succeeded run's result under the ``reports`` policy (1800 s).

    ``refresh`` re-reads the latest run (a new run invalidates the namespace anyway).
    """
    run = report_latest_succeeded_run(report=report)
    if run is None:
        return None

    def compute() -> dict:
        latest = report_latest_succeeded_run(report=report)
        return {
            "report": report.pk,
            "run": latest.pk,
            "finished_at": latest.finished_at.isoformat(),
            **latest.result,
        }

    return cached_read(
        namespace=REPORT_RESULT_NAMESPACE,
        policy=Policy.REPORTS,
        workspace_id=report.workspace_id,
        params={"report": report.pk},
        compute=compute,
        refresh=refresh,
    )


def scheduled_reports(*, workspace_id: int) -> QuerySet[Report]:
    return Report.objects.filter(workspace_id=workspace_id).exclude(schedule="")
