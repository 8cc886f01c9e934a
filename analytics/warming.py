"""Cache warmers: realtime and business metrics, latest results of scheduled reports.

``synapscale`` runs registered warmers periodically (every minute, five minutes, thirty
minutes by policy) and on demand with ``manage.py warm_cache``.
"""

from __future__ import annotations

from synapscale.cache import Policy, register_warmer


def warm_realtime(workspace) -> None:
    from analytics.selectors.metrics import realtime_metrics_cached

    realtime_metrics_cached(workspace_id=workspace.id, refresh=True)


def warm_business(workspace) -> None:
    from analytics.selectors.metrics import business_metrics_cached, business_window_default

    business_metrics_cached(
        workspace_id=workspace.id, window=business_window_default(), refresh=True
    )


def warm_scheduled_reports(workspace) -> None:
    from analytics.selectors.reports import report_result_cached, scheduled_reports

    for report in scheduled_reports(workspace_id=workspace.id):
        report_result_cached(report=report, refresh=True)


def _workspaces_with_scheduled_reports():
    from analytics.models import Report
    from synapscale.models import Workspace

    scheduled = Report.objects.exclude(schedule="").values("workspace_id")
    return Workspace.objects.filter(id__in=scheduled).order_by("id")


def _active_workspaces():
    from analytics.selectors.metrics import workspaces_active_recently

    return workspaces_active_recently()


def register_analytics_warmers() -> None:
    """Register this app's warmers (idempotent: registering a name again replaces it)."""
    register_warmer(
        "analytics.metrics.realtime",
        policy=Policy.REALTIME,
        warm=warm_realtime,
        workspaces=_active_workspaces,
    )
    register_warmer(
        "analytics.metrics.business",
        policy=Policy.BUSINESS,
        warm=warm_business,
        workspaces=_active_workspaces,
    )
    register_warmer(
        "analytics.reports.scheduled",
        policy=Policy.REPORTS,
        warm=warm_scheduled_reports,
        workspaces=_workspaces_with_scheduled_reports,
    )
